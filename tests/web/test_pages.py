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
    assert client.post("/admin/sip2/sc-td-01/active", data={"active": "false", "csrf": csrf},
                       follow_redirects=False).status_code == 303
    with db.session() as session:
        assert list_accounts(session)[0].active is False
    assert client.post("/admin/sip2/sc-td-01/remove", data={"csrf": csrf}, follow_redirects=False).status_code == 303
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
    expired = client.post("/desk/holds/expire", data={"csrf": csrf}, follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/desk/holds/shelf?expired=1"
    assert "周芳" not in client.get("/desk/holds/shelf").text
    assert lib.item("TD-1")["status"] == "available"
