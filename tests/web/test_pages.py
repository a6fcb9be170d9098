"""The web pages without a browser: who may open what, the CSRF guard, the locale catalogues,
长者模式 and the language switch, and the desk's forms doing what the use cases do."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from ils.db import Database
from ils.web.i18n import LOCALES, catalogue
from tests.support.factories import make_user
from tests.support.library import Library, library

STAFF_PAGES = ["/desk", "/desk/checkout", "/desk/checkin", "/desk/holds/pull", "/desk/holds/shelf", "/desk/transits",
               "/desk/patrons", "/desk/patrons/new", "/desk/unit", "/admin"]
READER_PAGES = ["/opac/account"]


def _templates() -> dict[str, str]:
    root = resources.files("ils.web").joinpath("templates")
    found: dict[str, str] = {}
    for entry in root.iterdir():
        paths = entry.iterdir() if entry.is_dir() else [entry]
        for path in paths:
            if path.name.endswith(".html"):
                found[path.name] = path.read_text(encoding="utf-8")
    return found


def test_both_locales_have_the_same_keys() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    assert LOCALES == ("zh-CN", "en")


def test_every_literal_key_a_template_asks_for_is_in_the_catalogue() -> None:
    keys = set(catalogue("zh-CN"))
    missing = {(name, key) for name, text in _templates().items()
               for key in re.findall(r"""\bt\(["']([a-z_.]+)["']\s*[,)]""", text) if key not in keys}
    assert not missing, sorted(missing)


def test_every_block_code_has_words_in_both_locales() -> None:
    from circulation.blocks import BLOCKS

    for locale in LOCALES:
        assert not [code for code in BLOCKS if f"error.{code}" not in catalogue(locale)], locale


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_send_a_visitor_to_the_staff_login(client: Any, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/desk/login?next=")


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_send_a_visitor_to_the_reader_login(client: Any, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/opac/login?next={path}"


@pytest.fixture
def lib(client: Any, db: Database) -> Library:
    lib = library(client, db)
    lib.title("红楼梦", {"TD-1": "DC-TD", "WL-1": "DC-WL"})
    lib.reader("R001", name="李秀英", password="reader-pass")
    make_user(db, "lib-td", "librarian", ("DC-TD",))
    return lib


def _desk_login(client: Any) -> str:
    response = client.post("/desk/login", data={"username": "lib-td", "password": "password-123"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/desk"
    page = client.get("/desk/checkin").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_search_page_is_chinese_by_default_and_english_when_chosen(client: Any, lib: Library) -> None:
    page = client.get("/opac", headers={"Accept-Language": "en-US"})
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text and "书目检索" in page.text
    switched = client.get("/ui/language?to=en&next=/opac", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/opac"
    assert "Search the catalogue" in client.get("/opac").text


def test_elder_mode_is_remembered_and_marks_the_page(client: Any, lib: Library) -> None:
    assert 'class="opac elder"' not in client.get("/opac").text
    client.get("/ui/elder?on=1&next=/opac")
    page = client.get("/opac").text
    assert 'class="opac elder"' in page and 'aria-pressed="true"' in page


def test_the_preference_switches_never_send_the_visitor_to_another_site(client: Any) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/ui/elder", params={"on": 1, "next": target}, follow_redirects=False)
        assert response.headers["location"] == "/opac"


def test_a_desk_form_without_the_login_bound_token_is_refused_and_changes_nothing(
        client: Any, lib: Library) -> None:
    _desk_login(client)
    lib.checkout("R001", "TD-1", "DC-TD")
    response = client.post("/desk/checkin", data={"barcode": "TD-1", "csrf": "forged"})
    assert response.status_code == 403 and "CSRF_INVALID" in response.text
    assert lib.item("TD-1")["status"] == "on_loan"


def test_a_librarian_checks_in_at_their_unit_and_is_told_to_send_a_copy_home(client: Any, lib: Library) -> None:
    csrf = _desk_login(client)
    assert lib.checkout("R001", "WL-1", "DC-WL").status_code == 201
    page = client.post("/desk/checkin", data={"barcode": "WL-1", "csrf": csrf})
    assert page.status_code == 200
    assert 'data-disposition="transit"' in page.text and "转运至：乌龙镇分馆" in page.text
    assert lib.item("WL-1")["status"] == "in_transit"
    assert "WL-1" in client.get("/desk/transits").text


def test_an_unknown_barcode_at_the_desk_is_a_clear_message_not_a_crash(client: Any, lib: Library) -> None:
    csrf = _desk_login(client)
    page = client.post("/desk/checkin", data={"barcode": "NO-SUCH", "csrf": csrf})
    assert page.status_code == 404 and "没有这个条码的图书" in page.text


def test_a_librarian_may_not_choose_a_unit_they_do_not_serve(client: Any, lib: Library) -> None:
    csrf = _desk_login(client)
    response = client.post("/desk/unit", data={"unit": "DC-WL", "csrf": csrf})
    assert response.status_code == 403 and "UNIT_OUT_OF_SCOPE" in response.text


def test_a_librarian_registers_a_reader_who_can_then_log_in_to_the_opac(client: Any, lib: Library) -> None:
    csrf = _desk_login(client)
    response = client.post("/desk/patrons/new", follow_redirects=False, data={
        "card_number": "R777", "name": "陈老师", "category": "adult", "password": "secret-77", "csrf": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/desk/checkout?card=R777"
    assert "陈老师" in client.get("/desk/checkout?card=R777").text
    taken = client.post("/desk/patrons/new", data={"card_number": "R777", "name": "重复", "category": "adult",
                                                   "csrf": csrf})
    assert taken.status_code == 409 and "这个读者证号已经发过了" in taken.text
    login = client.post("/opac/login", data={"card": "R777", "password": "secret-77"}, follow_redirects=False)
    assert login.status_code == 303 and "陈老师" in client.get("/opac/account").text


def test_a_reader_with_the_wrong_password_stays_logged_out(client: Any, lib: Library) -> None:
    response = client.post("/opac/login", data={"card": "R001", "password": "wrong"})
    assert response.status_code == 401 and "账号或密码不对" in response.text
    assert client.get("/opac/account", follow_redirects=False).status_code == 303


def test_the_admin_page_is_for_admins_only(client: Any, lib: Library) -> None:
    _desk_login(client)
    assert client.get("/admin").status_code == 403


def test_an_admin_adds_disables_and_removes_a_self_check_machine_account(
        client: Any, lib: Library, db: Database) -> None:
    from circulation.sip2.accounts import list_accounts

    make_user(db, "root-w", "admin")
    login = client.post("/desk/login", data={"username": "root-w", "password": "password-123"},
                        follow_redirects=False)
    assert login.status_code == 303
    page = client.get("/admin")
    assert page.status_code == 200 and "自助借还机" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    added = client.post("/admin/sip2", follow_redirects=False, data={
        "login": "sc-td-01", "password": "machine-pass-1", "unit": "DC-TD", "encoding": "gb18030",
        "error_detection": "true", "location": "一楼大厅", "csrf": csrf})
    assert added.status_code == 303
    again = client.post("/admin/sip2", data={"login": "sc-td-01", "password": "machine-pass-1", "unit": "DC-TD",
                                             "csrf": csrf})
    assert again.status_code == 409 and "这个登录名已经有自助机在用" in again.text
    with db.session() as session:
        (machine,) = list_accounts(session)
        assert (machine.encoding, machine.error_detection, machine.active) == ("gb18030", True, True)
    assert client.post("/admin/sip2/sc-td-01/active", data={"active": "false", "csrf": csrf, "confirm": "yes"},
                       follow_redirects=False).status_code == 303
    with db.session() as session:
        assert list_accounts(session)[0].active is False
    assert client.post("/admin/sip2/sc-td-01/remove", data={"csrf": csrf, "confirm": "yes"},
                       follow_redirects=False).status_code == 303
    with db.session() as session:
        assert not list_accounts(session)


def test_the_pull_list_names_the_copy_a_distant_reader_waits_for_and_checking_it_in_sends_it(
        client: Any, lib: Library) -> None:
    # R001 collects at 乌龙镇; the only copy on a shelf is TD-1 at 铜都 (WL-1 is on loan).
    assert lib.checkout("R001", "WL-1", "DC-WL").status_code == 201
    lib.reader("R002", name="赵敏", unit="DC-WL")
    assert lib.hold("R002", "DC-WL", record="红楼梦").status_code == 201
    csrf = _desk_login(client)
    pull = client.get("/desk/holds/pull")
    assert pull.status_code == 200 and "TD-1" in pull.text and "乌龙镇分馆" in pull.text
    sent = client.post("/desk/checkin", data={"barcode": "TD-1", "csrf": csrf})
    assert 'data-disposition="transit"' in sent.text and "转运至：乌龙镇分馆" in sent.text
    assert "TD-1" not in client.get("/desk/holds/pull").text


def test_the_hold_shelf_lists_the_reader_to_call_and_expiring_it_sends_the_copy_on(
        client: Any, lib: Library, clock: Any) -> None:
    lib.reader("R003", name="周芳")
    assert lib.checkout("R001", "TD-1", "DC-TD").status_code == 201
    assert lib.hold("R003", "DC-TD", record="红楼梦", barcode=None).status_code == 201
    csrf = _desk_login(client)
    trapped = client.post("/desk/checkin", data={"barcode": "TD-1", "csrf": csrf})
    assert "预约架：周芳（R003）" in trapped.text
    shelf = client.get("/desk/holds/shelf")
    assert "周芳" in shelf.text and "R003" in shelf.text and "已过期" not in shelf.text
    lib.advance(clock, days=10)  # past the 3 open days the rule keeps a copy on the shelf
    csrf = _desk_login(client)
    assert "已过期" in client.get("/desk/holds/shelf").text
    expired = client.post("/desk/holds/expire", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/desk/holds/shelf?expired=1"
    assert "周芳" not in client.get("/desk/holds/shelf").text
    assert lib.item("TD-1")["status"] == "available"


# ---- what readers and librarians tripped over (issue 11) --------------------------------------

ID_CARD = "11010519491231002X"


def test_an_id_card_number_is_looked_up_by_post_and_the_readers_page_opens_by_card_number_only(
        client: Any, lib: Library) -> None:
    lib.reader("R010", name="王建华", id_card_number=ID_CARD)
    csrf = _desk_login(client)
    for path in ("/desk/checkout", "/desk/patrons"):
        page = client.get(path).text
        assert '<form method="post" action="/desk/patrons"' in page
        assert 'method="get" action="/desk/checkout"' not in page
    found = client.post("/desk/patrons", data={"q": ID_CARD.lower(), "csrf": csrf}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == "/desk/checkout?card=R010"
    assert "王建华" in client.get(found.headers["location"]).text
    # An address is for card numbers: one with an ID card number opens nobody.
    assert client.get(f"/desk/checkout?card={ID_CARD}").status_code == 404
    lent = client.post("/desk/checkout", data={"card": ID_CARD, "barcode": "TD-1", "csrf": csrf},
                       follow_redirects=False)
    assert lent.status_code == 303 and lent.headers["location"] == "/desk/checkout?card=R010&lent=TD-1"


def test_a_reader_is_found_by_name_and_namesakes_are_listed_with_masked_id_numbers_and_their_unit(
        client: Any, lib: Library) -> None:
    lib.reader("R011", name="王建华", id_card_number=ID_CARD, phone="13912345678")
    lib.reader("R012", name="王建华", unit="DC-WL")
    csrf = _desk_login(client)
    listed = client.post("/desk/patrons", data={"q": "王建华", "csrf": csrf}, follow_redirects=False)
    assert listed.status_code == 200 and "找到 2 位读者" in listed.text
    rows = re.findall(r"<tr>\s*<td>王建华</td><td>(R01[12])</td><td>([^<]*)</td><td>([^<]*)</td>\s*<td>([^<]*)</td>",
                      listed.text)
    assert rows == [("R011", "110105********002X", "139****5678", "铜都街道分馆"), ("R012", "", "", "乌龙镇分馆")]
    assert ID_CARD not in listed.text and "13912345678" not in listed.text
    assert 'href="/desk/checkout?card=R012"' in listed.text
    one = client.post("/desk/patrons", data={"q": "李秀", "csrf": csrf}, follow_redirects=False)
    assert one.status_code == 303 and one.headers["location"] == "/desk/checkout?card=R001"
    by_phone = client.post("/desk/patrons", data={"q": "139 1234 5678", "csrf": csrf}, follow_redirects=False)
    assert by_phone.headers["location"] == "/desk/checkout?card=R011"
    nobody = client.post("/desk/patrons", data={"q": "欧阳", "csrf": csrf})
    assert nobody.status_code == 404 and "没有找到“欧阳”" in nobody.text


def _standing(page: str) -> tuple[str, str]:
    found = re.search(r'<p class="standing" data-standing="(\w+)">(.*?)</p>', page, re.S)
    assert found, page
    return found.group(1), re.sub(r"\s+", " ", found.group(2))


def test_the_readers_header_at_the_desk_says_suspended_with_the_reasons_or_expired_and_never_active(
        client: Any, lib: Library) -> None:
    lib.reader("R020", name="赵敏")
    assert client.post("/api/v1/patrons/R020/blocks", headers=lib.desk,
                       json={"reason": "借书证挂失待补办"}).status_code == 201
    lib.reader("R021", name="钱多", expires_on="2026-01-01")
    _desk_login(client)
    kind, words = _standing(client.get("/desk/checkout?card=R020").text)
    assert kind == "suspended" and "已暂停" in words and "借书证挂失待补办" in words and "正常" not in words
    kind, words = _standing(client.get("/desk/checkout?card=R021").text)
    assert kind == "expired" and "已过期" in words and "正常" not in words
    kind, words = _standing(client.get("/desk/checkout?card=R001").text)
    assert kind == "active" and "正常" in words


def test_the_desk_offers_a_renewal_only_when_it_can_work_and_a_refusal_names_the_book_and_the_day(
        client: Any, lib: Library, clock: Any) -> None:
    lib.rule(renew_days_before_due=7)
    assert lib.checkout("R001", "TD-1", "DC-TD").json()["due_on"] == "2026-12-23"
    csrf = _desk_login(client)
    page = client.get("/desk/checkout?card=R001").text
    assert 'action="/desk/renew"' not in page and "2026-12-16 起可以续借" in page
    refused = client.post("/desk/renew", data={"card": "R001", "barcode": "TD-1", "csrf": csrf})
    assert refused.status_code == 409
    flashes = re.findall(r'<div class="flash error"[^>]*>(.*?)</div>', refused.text, re.S)
    assert flashes == ["《红楼梦》（TD-1）不能续借：", "还没到续借时间，2026-12-16 起可以续借。"]
    lib.advance(clock, days=23)  # 16 December: the window opens
    csrf = _desk_login(client)
    assert 'action="/desk/renew"' in client.get("/desk/checkout?card=R001").text
    renewed = client.post("/desk/renew", data={"card": "R001", "barcode": "TD-1", "csrf": csrf},
                          follow_redirects=False)
    assert renewed.headers["location"] == "/desk/checkout?card=R001&renewed=TD-1"
    after = client.get(renewed.headers["location"]).text
    assert 'action="/desk/renew"' not in after and "续借次数已用完" in after


def test_the_opac_hides_renew_where_it_cannot_work_and_a_refusal_names_the_book(
        client: Any, lib: Library) -> None:
    lib.rule(renew_days_before_due=7)
    lib.title("三国演义", {"TD-2": "DC-TD"})
    assert lib.checkout("R001", "TD-1", "DC-TD").status_code == 201
    login = client.post("/opac/login", data={"card": "R001", "password": "reader-pass"}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get("/opac/account").text
    assert 'action="/opac/account/renew"' not in page and "2026-12-16 起可以续借" in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    refused = client.post("/opac/account/renew", data={"barcode": "TD-1", "csrf": csrf})
    assert refused.status_code == 409 and "《红楼梦》（TD-1）不能续借：" in refused.text
    assert "还没到续借时间，2026-12-16 起可以续借。" in refused.text


def test_receiving_a_copy_with_no_transit_says_why_in_chinese_under_a_receive_button(client: Any, lib: Library) -> None:
    csrf = _desk_login(client)
    page = client.post("/desk/transits/receive", data={"barcode": "TD-1", "csrf": csrf})
    assert page.status_code == 409
    assert "这本书没有在途的转运，不需要接收" in page.text and "no open transit" not in page.text
    button = re.compile(r'<button type="submit" class="primary">(.*?)</button>')
    assert button.search(page.text).group(1) == "接收"  # type: ignore[union-attr]
    assert button.search(client.get("/desk/checkin").text).group(1) == "归还"  # type: ignore[union-attr]


def test_the_check_in_page_lists_this_sessions_returns_newest_first_and_the_slip_shows_the_van(
        client: Any, lib: Library) -> None:
    route = client.put("/api/v1/routes/TD-WL", headers=lib.admin, json={
        "name": "铜都—乌龙", "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "stops": [{"unit": "DC-TD"}, {"unit": "DC-WL"}]})
    assert route.status_code == 200, route.text
    for barcode, unit in (("WL-1", "DC-WL"), ("TD-1", "DC-TD")):
        assert lib.checkout("R001", barcode, unit).status_code == 201
    csrf = _desk_login(client)
    sent = client.post("/desk/checkin", data={"barcode": "WL-1", "csrf": csrf})
    transit = client.get("/api/v1/transits", headers=lib.desk, params={"from": "DC-TD"}).json()[0]
    assert transit["promised_on"]
    slip = re.search(r'<section class="slip".*?</section>', sent.text, re.S).group(0)  # type: ignore[union-attr]
    assert "TD-WL" in slip and "乌龙镇分馆" in slip and transit["promised_on"] in slip
    client.post("/desk/checkin", data={"barcode": "TD-1", "csrf": csrf})
    listed = client.get("/desk/checkin").text
    returns = re.findall(r'<li data-barcode="([^"]+)" data-disposition="(\w+)">.*?<strong>(.*?)</strong>', listed, re.S)
    assert returns == [("TD-1", "shelve", "放回书架"), ("WL-1", "transit", "转运至：乌龙镇分馆")]
    # Kept for this login only: after logging in again the list starts afresh.
    _desk_login(client)
    assert "data-barcode=" not in client.get("/desk/checkin").text


def test_destructive_buttons_ask_first_and_without_javascript_a_page_asks_before_anything_changes(
        client: Any, lib: Library) -> None:
    lib.reader("R002", name="赵敏")
    assert lib.checkout("R002", "TD-1", "DC-TD").status_code == 201
    hold = lib.hold("R001", "DC-TD", record="红楼梦").json()
    login = client.post("/opac/login", data={"card": "R001", "password": "reader-pass"}, follow_redirects=False)
    assert login.status_code == 303
    account = client.get("/opac/account").text
    assert 'data-confirm="确定取消《红楼梦》的预约吗？"' in account
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', account).group(1)  # type: ignore[union-attr]
    asked = client.post(f"/opac/account/holds/{hold['id']}/cancel", data={"csrf": csrf})
    assert asked.status_code == 200 and "确定取消这条预约吗？" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "waiting"
    done = client.post(f"/opac/account/holds/{hold['id']}/cancel", data={"csrf": csrf, "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get(f"/api/v1/holds/{hold['id']}", headers=lib.desk).json()["status"] == "cancelled"

    again = lib.hold("R001", "DC-TD", record="红楼梦").json()
    csrf = _desk_login(client)
    reader = client.get("/desk/checkout?card=R001").text
    assert f'action="/desk/holds/{again["id"]}/cancel"' in reader and 'data-confirm="确定取消《红楼梦》的预约吗？"' in reader
    assert 'data-confirm="' in client.get("/desk/holds/shelf").text
    asked = client.post(f"/desk/holds/{again['id']}/cancel", data={"card": "R001", "csrf": csrf})
    assert asked.status_code == 200 and "确定取消这条预约吗？" in asked.text
    assert client.get(f"/api/v1/holds/{again['id']}", headers=lib.desk).json()["status"] == "waiting"
    done = client.post(f"/desk/holds/{again['id']}/cancel", data={"card": "R001", "csrf": csrf, "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/desk/checkout?card=R001&cancelled={again['id']}"
    assert client.get(f"/api/v1/holds/{again['id']}", headers=lib.desk).json()["status"] == "cancelled"
    asked = client.post("/desk/holds/expire", data={"csrf": csrf}, follow_redirects=False)
    assert asked.status_code == 200 and "确定处理过期未取的预约吗" in asked.text


def test_an_admin_is_asked_before_a_self_check_machine_is_disabled_or_removed(client: Any, lib: Library,
                                                                             db: Database) -> None:
    from circulation.sip2.accounts import list_accounts

    make_user(db, "root-w", "admin")
    client.post("/desk/login", data={"username": "root-w", "password": "password-123"})
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/admin").text).group(1)  # type: ignore[union-attr]
    assert client.post("/admin/sip2", data={"login": "sc-td-02", "password": "machine-pass-1", "unit": "DC-TD",
                                            "csrf": csrf}, follow_redirects=False).status_code == 303
    page = client.get("/admin").text
    assert 'data-confirm="确定停用自助机账号 sc-td-02 吗？' in page and 'data-confirm="确定删除自助机账号 sc-td-02 吗？' in page
    for action, data in (("active", {"active": "false"}), ("remove", {})):
        asked = client.post(f"/admin/sip2/sc-td-02/{action}", data={**data, "csrf": csrf})
        assert asked.status_code == 200 and "sc-td-02" in asked.text and 'name="confirm" value="yes"' in asked.text
    with db.session() as session:
        assert [(a.login, a.active) for a in list_accounts(session)] == [("sc-td-02", True)]


def test_an_opac_address_that_is_not_a_record_is_a_404_page_saying_not_found(client: Any, lib: Library) -> None:
    for path in ("/opac/records/abc", "/opac/records/999999"):
        page = client.get(path)
        assert page.status_code == 404 and "<h1>找不到</h1>" in page.text and "表单没有填完整" not in page.text, path


def test_the_opac_pager_keeps_the_whole_query_however_it_is_written(client: Any, lib: Library, db: Database) -> None:
    from catalog.search.service import get_engine, outbox_handler
    from ils.clock import get_clock
    from ils.outbox import Relay, Subscriptions

    for n in range(22):
        lib.title(f"中国小说选 第{n}集", {f"NV-{n}": "DC-TD"})
    subscriptions = Subscriptions()
    subscriptions.subscribe("records.changed", outbox_handler(db, get_engine()))
    Relay(db, subscriptions, clock=get_clock()).run_until_idle()
    first = client.get("/opac", params={"q": "中国 #小说"}).text
    assert "共找到 22 条书目" in first
    href = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert href.startswith("/opac?q=%E4%B8%AD%E5%9B%BD+%23%E5%B0%8F%E8%AF%B4&")
    second = client.get(href).text
    assert 'value="中国 #小说"' in second and "共找到 22 条书目" in second and "第 2 / 2 页" in second
