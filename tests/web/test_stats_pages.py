"""The 统计 pages without a browser, on the scripted fortnight of tests/reports (every figure
counted by hand there): the overview and the units table show those numbers, the CSV is the
API's JSON, the charts are SVG with their numbers, and a librarian is refused another unit."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any
from xml.etree import ElementTree

import pytest

from ils.db import Database
from reports.figures import FIGURES
from tests.reports.conftest import story  # noqa: F401 (the fixture)
from tests.support.factories import make_user
from tests.support.library import Library

SVG_NS = "{http://www.w3.org/2000/svg}"


def _log_in(client: Any, username: str) -> Any:
    client.cookies.clear()
    response = client.post("/desk/login", data={"username": username, "password": "password-123"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


@pytest.fixture
def manager(story: Library, client: Any, db: Database) -> Library:  # noqa: F811
    make_user(db, "mgr", "manager")
    _log_in(client, "mgr")
    return story


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _card(page: str, code: str) -> str:
    match = re.search(rf'<li class="figure-card" id="figure-{code}".*?</li>', page, re.S)
    assert match, code
    return _text(match.group(0))


def _value(page: str, code: str) -> str:
    match = re.search(rf'id="figure-{code}".*?<span class="n">([^<]*)</span>', page, re.S)
    assert match, code
    return match.group(1)


def test_a_managers_overview_shows_the_hand_counted_totals_each_with_its_definition(manager: Library,
                                                                                   client: Any) -> None:
    page = client.get("/stats", params={"unit": "DC", "period": "2026-11"})
    assert page.status_code == 200
    html = page.text
    expected = {"loans": "4", "renewals": "1", "returns": "3", "returns_away": "3", "borrowing_readers": "3",
                "active_readers": "2", "holds_placed": "1", "holds_filled": "1", "holdings": "4",
                "holdings_added": "4", "loans_per_capita": "0.04", "holdings_per_capita": "0.04",
                "added_per_capita": "0.04", "circulation_rate": "1.00", "visits": "42", "activities": "2",
                "activity_attendance": "65", "visits_per_capita": "0.42"}
    assert {code: _value(html, code) for code in expected} == expected
    loans = _card(html, "loans")
    assert "外借册次" in loans and FIGURES["loans"].definition_zh in loans and "统计口径：发生馆" in loans
    assert "统计口径：藏书所属馆" in _card(html, "holdings")  # stock is always the owner's
    assert "按发生馆统计" in _text(html)
    assert "东川区图书馆（DC）及其下属各馆，统计期 2026-11（2026-11-01 至 2026-11-30）" in _text(html)


def test_the_overview_says_per_capita_is_not_computable_where_no_population_is_set(manager: Library,
                                                                                  client: Any) -> None:
    html = client.get("/stats", params={"unit": "DC-TD-01", "period": "2026-11"}).text
    card = _card(html, "loans_per_capita")
    assert "无法计算" in card and "没有设置服务人口" in card and "0.00" not in card


def test_the_attribution_switch_recounts_and_says_which_is_in_use(manager: Library, client: Any) -> None:
    html = client.get("/stats", params={"unit": "DC-TD", "period": "2026-11", "by": "home"}).text
    assert _value(html, "loans") == "2"  # R1's two loans: their card is of DC-TD
    assert "按读者办证馆统计" in _text(html)
    assert 'value="home" checked' in html
    owner = client.get("/stats", params={"unit": "DC-TD", "period": "2026-11", "by": "owner"}).text
    assert _value(owner, "loans") == "3"  # A1 (DC-TD) and B1 twice (DC-TD-01)


def test_the_overviews_tables_give_the_numbers_of_its_charts(manager: Library, client: Any) -> None:
    html = client.get("/stats", params={"unit": "DC", "period": "2026-11"}).text
    bars = dict(re.findall(r'<tr data-unit="([^"]+)"><th scope="row">[^<]*</th><td>([^<]*)</td>', html))
    assert bars == {"DC": "0", "DC-TD": "3", "DC-WL": "1"}
    months = dict(re.findall(r'<tr data-month="(\d+)">.*?</th>\s*<td>([^<]*)</td>', html, re.S))
    assert months["11"] == "4" and months["1"] == "0"
    assert "尚未到" in re.search(r'<tr data-month="12">.*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert [unescape(src).split("?")[0] for src, _ in images] == ["/stats/charts/units.svg", "/stats/charts/months.svg"]
    assert all("表格" in alt for _, alt in images)


def _svg_texts(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def test_the_charts_are_svg_with_their_numbers_no_script_and_a_policy_of_their_own(manager: Library,
                                                                                  client: Any) -> None:
    bars = client.get("/stats/charts/units.svg", params={"unit": "DC", "period": "2026-11", "figure": "loans"})
    assert bars.status_code == 200 and bars.headers["content-type"].startswith("image/svg+xml")
    policy = bars.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "style-src 'unsafe-inline'" in policy
    assert b"<script" not in bars.content
    texts = _svg_texts(bars.content)
    assert {"铜都街道分馆", "乌龙镇分馆", "东川区图书馆（本馆）"} <= set(texts)
    assert {"3", "1", "0"} <= set(texts)  # the values printed on the bars
    months = client.get("/stats/charts/months.svg", params={"unit": "DC", "year": 2026})
    assert months.status_code == 200 and b"<script" not in months.content
    texts = _svg_texts(months.content)
    assert "11月" in texts and {"外借册次", "归还册次", "外借人次"} <= set(texts)
    # The page itself keeps its strict policy: nothing inline.
    page_policy = client.get("/stats", params={"unit": "DC"}).headers["content-security-policy"]
    assert "style-src 'self'" in page_policy and "unsafe-inline" not in page_policy


def test_the_charts_are_larger_in_elder_mode_and_english_when_asked(manager: Library, client: Any) -> None:
    def font_size(body: bytes) -> int:
        return int(re.search(rb"\.axis text\{[^}]*font-size:(\d+)px", body).group(1))  # type: ignore[union-attr]

    plain = client.get("/stats/charts/units.svg", params={"unit": "DC"}).content
    elder = client.get("/stats/charts/units.svg", params={"unit": "DC", "elder": 1}).content
    assert font_size(elder) > font_size(plain)
    english = client.get("/stats/charts/months.svg", params={"unit": "DC", "year": 2026, "lang": "en"}).content
    assert "Initial loans" in _svg_texts(english)


def _units_table(html: str) -> list[tuple[str, str, dict[str, str]]]:
    rows = []
    for match in re.finditer(r'<tr class="scope-\w+" data-unit="([^"]+)" data-scope="(\w+)">(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'<td data-figure="(\w+)">(.*?)</td>', match.group(3), re.S))
        rows.append((match.group(1), match.group(2), {k: _text(v).strip() for k, v in cells.items()}))
    return rows


def test_the_units_page_has_every_unit_own_and_roll_up_with_every_figure(manager: Library, client: Any) -> None:
    html = client.get("/stats/units", params={"unit": "DC", "period": "2026-11"}).text
    rows = _units_table(html)
    assert [(code, scope) for code, scope, _ in rows] == [
        ("DC", "total"), ("DC", "own"), ("DC-TD", "total"), ("DC-TD", "own"), ("DC-TD-01", "only"), ("DC-WL", "only")]
    values = {(code, scope): cells for code, scope, cells in rows}
    assert set(values[("DC", "total")]) == set(FIGURES)
    assert (values[("DC-TD", "own")]["loans"], values[("DC-TD-01", "only")]["loans"]) == ("3", "0")
    assert values[("DC", "total")]["holdings_value"] == "90.00"  # 9,000 fen
    assert values[("DC-TD-01", "only")]["loans_per_capita"] == "— 无法计算"
    assert 'class="depth-2"' in html  # the service point is indented below its branch


def test_the_units_table_sorts_by_a_column_through_links_within_each_parent(manager: Library,
                                                                          client: Any) -> None:
    html = client.get("/stats/units", params={"unit": "DC", "period": "2026-11"}).text
    heading = re.search(r'<th scope="col" data-figure="returns"[^>]*>\s*<a href="([^"]+)"', html)
    assert heading is not None
    link = heading.group(1)
    assert "sort=returns" in unescape(link) and "order=desc" in unescape(link)
    by_returns = client.get(unescape(link)).text
    order = [code for code, scope, _ in _units_table(by_returns) if scope != "own"]
    assert order == ["DC", "DC-WL", "DC-TD", "DC-TD-01"]  # DC-WL took two returns, DC-TD's roll-up one
    assert 'aria-sort="descending"' in by_returns
    ascending = client.get("/stats/units", params={"unit": "DC", "period": "2026-11", "sort": "returns",
                                                   "order": "asc"}).text
    assert [c for c, s, _ in _units_table(ascending) if s != "own"] == ["DC", "DC-TD", "DC-TD-01", "DC-WL"]
    assert client.get("/stats/units", params={"unit": "DC", "sort": "nonsense"}).status_code == 422


def test_the_csv_is_the_apis_json_in_utf8_with_a_bom(manager: Library, client: Any) -> None:
    params = {"unit": "DC", "period": "2026-11", "by": "owner"}
    answer = client.get("/stats/units.csv", params=params)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    assert "attachment" in answer.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:2] == ["馆代码", "馆名"] and "外借册次（册次）" in header
    api = client.get("/api/v1/reports/figures", params=params, headers=manager.admin).json()
    units = {u["code"]: u for u in api["units"]}
    first = header.index("外借册次（册次）")
    codes = list(FIGURES)
    assert len(rows) == 6
    for row in rows:
        unit = units[row[0]]
        values = unit["own"] if row[4] == "本馆" and unit["has_children"] else unit["total"]
        for code, cell in zip(codes, row[first:]):
            want = values[code]
            if want is None:
                assert cell == "", (row[0], code)
            elif FIGURES[code].kind == "money":
                assert cell == f"{want / 100:.2f}", (row[0], code)
            else:
                assert float(cell) == float(want), (row[0], code)
    assert [r[0] for r in rows if r[4] == "合计（含下属）"] == ["DC", "DC-TD"]


def test_a_librarian_sees_their_units_and_is_refused_another_with_the_refusal_page(story: Library,  # noqa: F811
                                                                                 client: Any, db: Database) -> None:
    make_user(db, "lib-td", "librarian", ("DC-TD",))
    _log_in(client, "lib-td")
    own = client.get("/stats", params={"period": "2026-11"})
    assert own.status_code == 200
    chooser = re.search(r'<select id="stats-unit".*?</select>', own.text, re.S).group(0)  # type: ignore[union-attr]
    assert re.findall(r'<option value="([^"]+)"', chooser) == ["DC-TD", "DC-TD-01"]  # theirs only
    assert _value(own.text, "loans") == "3"  # by default their own unit
    for path in ("/stats", "/stats/units", "/stats/units.csv", "/stats/charts/units.svg"):
        refused = client.get(path, params={"unit": "DC-WL", "period": "2026-11"})
        assert refused.status_code == 403, path
        assert "您不在这个服务点的服务范围内" in refused.text and "UNIT_OUT_OF_SCOPE" in refused.text
    refused = client.get("/stats/charts/months.svg", params={"unit": "DC", "year": 2026})
    assert refused.status_code == 403
    # The desk links to 统计 for an account that may read it.
    assert '<a href="/stats">统计</a>' in client.get("/desk").text


def test_a_manager_logging_in_lands_on_the_statistics_and_a_reader_cannot_open_them(story: Library,  # noqa: F811
                                                                                  client: Any, db: Database) -> None:
    make_user(db, "mgr", "manager")
    assert _log_in(client, "mgr").headers["location"] == "/stats"
    html = client.get("/stats").text
    assert 'value="CITY" selected' in html  # a manager without units starts at the top of the network
    client.cookies.clear()
    assert client.get("/stats", follow_redirects=False).headers["location"].startswith("/desk/login?next=/stats")


def test_a_bad_period_shows_the_form_again_saying_what_is_wrong(manager: Library, client: Any) -> None:
    page = client.get("/stats/units", params={"unit": "DC", "period": "2026-13"})
    assert page.status_code == 422 and "统计期不对" in page.text and 'value="2026-13"' in page.text
    page = client.get("/stats", params={"unit": "DC", "from": "2026-11-30", "to": "2026-11-01"})
    assert page.status_code == 422 and "统计期不对" in page.text
    ranged = client.get("/stats", params={"unit": "DC", "period": "", "from": "2026-11-24", "to": "2026-11-25"})
    assert ranged.status_code == 200 and _value(ranged.text, "renewals") == "1" and _value(ranged.text, "loans") == "0"
    assert client.get("/stats", params={"unit": "NOPE"}).status_code == 404


def test_the_pages_are_in_english_when_chosen(manager: Library, client: Any) -> None:
    html = client.get("/stats", params={"unit": "DC", "period": "2026-11", "lang": "en"}).text
    assert "Initial loans" in _card(html, "loans") and FIGURES["loans"].definition_en in _card(html, "loans")
    assert "credited to the unit where they happened" in _text(html)
    units = client.get("/stats/units.csv", params={"unit": "DC", "period": "2026-11", "lang": "en"})
    assert "Initial loans (loans)" in units.content.decode("utf-8-sig").splitlines()[0]
