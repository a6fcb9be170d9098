"""The statistics entry pages without a browser: a librarian uploads a gate counter file and reads
its report, enters a day's visits by hand, records and corrects an activity, fills the annual
fields; the pages refuse other units like the API, and render in English too."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ils.db import Database
from tests.support.entries import gate_file, seed_activity_types
from tests.support.factories import login, make_network, make_user


class Desk:
    """A logged-in page visitor: the login's cookie and the form token that goes with it."""

    def __init__(self, client: Any, username: str) -> None:
        from ils.web.pages import STAFF_COOKIE, csrf_token

        token = login(client, username)["Authorization"].removeprefix("Bearer ")
        self.client, self.csrf = client, csrf_token(token)
        client.cookies.clear()
        client.cookies.set(STAFF_COOKIE, token)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params or None, follow_redirects=False)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(path, data={"csrf": self.csrf, **(data or {})}, follow_redirects=False, **kw)


@pytest.fixture
def desk(client: Any, db: Database) -> Desk:
    make_network(db)
    seed_activity_types(db)
    make_user(db, "lib-td", "librarian", ("DC-TD",))
    return Desk(client, "lib-td")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("path", ["/stats/visits", "/stats/activities", "/stats/annual-fields"])
def test_entry_pages_send_a_visitor_to_the_staff_login(client: Any, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/desk/login?next=")


def test_a_librarian_uploads_a_gate_file_and_reads_every_bad_line_on_the_page(desk: Desk) -> None:
    page = desk.get("/stats/visits")
    assert page.status_code == 200 and "导入门禁计数文件" in page.text and 'name="file"' in page.text
    # Only the librarian's own units are offered.
    assert 'value="DC-TD-01"' in page.text and 'value="DC-WL"' not in page.text
    answer = desk.post("/stats/visits/import", files=gate_file(
        "DC-TD,2026-11-20,9,35,12", "DC-TD,2026-11-20,24,3,3", "DC-TD-01,2026-11-31,,5,5", "DC-TD,2026-11-20,10,41,30"))
    assert answer.status_code == 200, answer.text
    text = _text(answer.text)
    assert "读取 4 行，导入 2 行（其中替换以前导入的 0 行），有问题 2 行。" in text
    assert 'data-line="3"' in answer.text and 'data-line="4"' in answer.text
    assert "VISIT_ROW_HOUR_INVALID" in text and "小时应为 0–23" in text and "VISIT_ROW_DATE_INVALID" in text
    assert 'data-day="2026-11-20"' in answer.text and "导入的各小时相加" in text and "合计 76 人次" in text


def test_a_gate_file_with_another_units_rows_is_refused_on_the_page_and_nothing_kept(desk: Desk) -> None:
    answer = desk.post("/stats/visits/import", files=gate_file("DC-TD,2026-11-20,,35,", "XD,2026-11-20,,9,"))
    assert answer.status_code == 403
    assert "没有" in desk.get("/stats/visits", unit="DC-TD").text  # no days recorded


def test_a_day_entered_by_hand_at_the_desk_shows_as_entered_and_can_be_removed(desk: Desk) -> None:
    saved = desk.post("/stats/visits", {"unit": "DC-TD-01", "date": "2026-11-22", "in_count": "18", "note": "人工计数"})
    assert saved.status_code == 303 and saved.headers["location"] == "/stats/visits?unit=DC-TD-01&saved=2026-11-22"
    page = desk.get(saved.headers["location"])
    text = _text(page.text)
    assert "已保存 2026-11-22 的到馆人次。" in text and "人工录入" in text and "合计 18 人次" in text
    bad = desk.post("/stats/visits", {"unit": "DC-TD-01", "date": "2026-11-22", "in_count": "十八"})
    assert bad.status_code == 422 and "应为 0 或正整数" in bad.text
    other = desk.post("/stats/visits", {"unit": "DC-WL", "date": "2026-11-22", "in_count": "5"})
    assert other.status_code == 403
    # Removing asks first (without JavaScript, on a page of its own).
    asked = desk.post("/stats/visits/clear", {"unit": "DC-TD-01", "date": "2026-11-22"})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    assert "合计 18 人次" in _text(desk.get("/stats/visits", unit="DC-TD-01").text)
    done = desk.post("/stats/visits/clear", {"unit": "DC-TD-01", "date": "2026-11-22", "confirm": "yes"})
    assert done.status_code == 303
    assert "这段时间没有到馆人次记录" in _text(desk.get(done.headers["location"]).text)


def _activity(**values: str) -> dict[str, str]:
    return {"type": "books_to_villages", "title": "送书下乡进社区", "unit": "DC-TD-01", "organiser": "DC-TD",
            "held_on": "2026-11-21", "attendance": "32", "audience": "elderly", "note": "", **values}


def test_a_librarian_records_an_activity_corrects_it_and_deletes_a_mistaken_one(desk: Desk) -> None:
    page = desk.get("/stats/activities")
    assert page.status_code == 200 and "登记一场已举办的活动" in page.text and "送书下乡" in page.text
    added = desk.post("/stats/activities", _activity())
    assert added.status_code == 303, added.text
    listed = desk.get(added.headers["location"])
    text = _text(listed.text)
    assert "活动已登记。" in text and "共 1 场，参加 32 人次。" in text and "老年人" in text
    activity_id = re.search(r'data-activity="(\d+)"', listed.text).group(1)  # type: ignore[union-attr]
    edit = desk.get(f"/stats/activities/{activity_id}")
    assert edit.status_code == 200 and 'value="送书下乡进社区"' in edit.text
    changed = desk.post(f"/stats/activities/{activity_id}", _activity(attendance="35"))
    assert changed.status_code == 303
    assert "参加 35 人次" in _text(desk.get(changed.headers["location"]).text)
    future = desk.post("/stats/activities", _activity(held_on="2026-12-01"))
    assert future.status_code == 422 and "举办日期不能晚于今天" in future.text
    # The 总馆's activity is for the 总馆's staff to record.
    assert desk.post("/stats/activities", _activity(organiser="DC")).status_code == 403
    missing = desk.post("/stats/activities", _activity(attendance="很多"))
    assert missing.status_code == 422 and "参加人次" in missing.text
    asked = desk.post(f"/stats/activities/{activity_id}/delete", {})
    assert asked.status_code == 200 and "送书下乡进社区" in asked.text
    deleted = desk.post(f"/stats/activities/{activity_id}/delete", {"confirm": "yes"})
    assert deleted.status_code == 303 and "共 0 场" in _text(desk.get(deleted.headers["location"]).text)


def test_the_annual_fields_form_saves_yuan_as_fen_and_shows_who_and_the_value_before(desk: Desk, client: Any) -> None:
    page = desk.get("/stats/annual-fields", unit="DC-TD", year=2025)
    assert page.status_code == 200 and "实际使用房屋建筑面积" in page.text and "财政拨款" in page.text
    assert "还有 19 项未填。" in _text(page.text)
    saved = desk.post("/stats/annual-fields", {"unit": "DC-TD", "year": "2025", "f_floor_area": "820.5",
                                               "f_income_fiscal": "186,000.50", "f_seats": "60", "f_computers": ""})
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=3")
    api = client.get("/api/v1/annual-fields", params={"unit": "DC-TD", "year": 2025},
                     headers=login(client, "lib-td")).json()
    values = {f["code"]: f["value"] for f in api["fields"]}
    assert (values["floor_area"], values["income_fiscal"], values["seats"]) == ("820.50", 18600050, 60)
    desk = Desk(client, "lib-td")
    again = desk.post("/stats/annual-fields", {"unit": "DC-TD", "year": "2025", "f_floor_area": "830",
                                               "f_income_fiscal": "186000.50", "f_seats": "60"})
    assert again.headers["location"].endswith("saved=1")  # only the area changed
    form = desk.get("/stats/annual-fields", unit="DC-TD", year=2025)
    assert 'value="830.00"' in form.text and "改前：820.50" in form.text and 'value="186000.50"' in form.text
    assert "staff:lib-td" in form.text and "还有 16 项未填。" in _text(form.text)
    wrong = desk.post("/stats/annual-fields", {"unit": "DC-TD", "year": "2025", "f_seats": "60.5"})
    assert wrong.status_code == 422 and "应为整数" in wrong.text and 'value="60.5"' in wrong.text
    assert desk.post("/stats/annual-fields", {"unit": "DC-WL", "year": "2025", "f_seats": "1"}).status_code == 403
    assert desk.get("/stats/annual-fields", unit="DC-WL").status_code == 403


def test_the_entry_pages_render_in_english(desk: Desk, client: Any) -> None:
    client.cookies.set("ils_lang", "en")
    for path, words in (("/stats/visits", "Import a gate counter file"), ("/stats/activities", "Record an activity"),
                        ("/stats/annual-fields", "Annual figures of")):
        page = desk.get(path)
        assert page.status_code == 200 and words in page.text, path
        assert 'lang="en"' in page.text
