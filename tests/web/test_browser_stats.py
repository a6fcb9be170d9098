"""统计 in a real browser against the running service: a manager and a branch librarian log in,
open the overview and the units table, and see the charts load (the SVG the server draws, under
its own Content-Security-Policy) with their tables beside them, in 长者模式 too; the librarian is
refused a unit that is not theirs."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ils.clock import FixedClock, set_clock
from ils.db import Database
from tests.support.factories import make_user
from tests.support.library import Library, library
from tests.support.live_server import live_server
from tests.web.test_browser import _accessible

PASSWORD = "password-123"
TIMEOUT_MS = 15_000

# Every image of the page has loaded and has a size: a chart that failed (an error page, an SVG
# the browser refused) has naturalWidth 0.
IMAGES = "() => Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth])"


@pytest.fixture
def lib(client: Any, db: Database) -> Library:
    # The served process runs on the system clock: the loans are made now, so this year has them.
    set_clock(FixedClock(datetime.now(timezone.utc)))
    lib = library(client, db)
    for code, population in {"DC": 100, "DC-TD": 40, "DC-WL": 20}.items():
        changed = client.patch(f"/api/v1/units/{code}", headers=lib.admin, json={"population": population})
        assert changed.status_code == 200
    lib.title("红楼梦", {"TD-1": "DC-TD", "TD-2": "DC-TD", "WL-1": "DC-WL"})
    lib.reader("R001", unit="DC-TD")
    lib.reader("R002", unit="DC-WL")
    for card, barcode, unit in (("R001", "TD-1", "DC-TD"), ("R002", "TD-2", "DC-TD"), ("R002", "WL-1", "DC-WL")):
        assert lib.checkout(card, barcode, unit).status_code == 201
    assert lib.checkin("WL-1", "DC-WL").status_code == 200
    make_user(db, "mgr", "manager", password=PASSWORD)
    make_user(db, "lib-td", "librarian", ("DC-TD",), password=PASSWORD)
    return lib


def _page(chromium: Any, **options: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _log_in(page: Any, base: str, username: str, lands: str) -> None:
    page.goto(f"{base}/stats")
    page.wait_for_url(re.compile(r"/desk/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{lands}")


def _charts_loaded(page: Any, count: int) -> list[str]:
    page.wait_for_load_state("load")
    images = page.evaluate(IMAGES)
    assert len(images) == count, images
    assert all(width and width > 0 for _, width in images), images
    return [src for src, _ in images]


def test_a_manager_sees_the_overview_and_the_units_with_charts_and_tables_also_in_elder_mode(
        lib: Library, db: Database, chromium: Any, screenshots: Path) -> None:
    with live_server(db.url) as base:
        page = _page(chromium)
        _log_in(page, base, "mgr", "/stats")
        assert page.locator("h1").inner_text() == "统计概览：昆明市图书馆"
        page.get_by_label("统计单位（含下属各馆）").select_option("DC")
        page.get_by_role("button", name="查看").click()
        page.wait_for_url(re.compile(r"/stats\?unit=DC"))
        assert page.locator("h1").inner_text() == "统计概览：东川区图书馆"
        loans = page.locator("#figure-loans")
        assert loans.locator(".n").inner_text() == "3" and "续借不计入" in loans.inner_text()
        assert "没有设置服务人口" not in page.locator("#figure-loans_per_capita").inner_text()
        assert page.locator("#figure-loans_per_capita .n").inner_text() == "0.03"
        _charts_loaded(page, 2)
        bars = page.locator("table.bars tbody tr")
        assert bars.count() == 3 and "铜都街道分馆" in bars.nth(1).inner_text() and "2" in bars.nth(1).inner_text()
        assert page.locator("table.months tbody tr").count() == 12
        assert page.locator("table.bars caption").inner_text().startswith("东川区图书馆下属各馆的外借册次")
        _accessible(page)
        page.screenshot(path=str(screenshots / "stats-overview.png"), full_page=True)

        # The chart opened on its own is a document with its styles working under its policy.
        chart = page.locator("img.chart-image").first.get_attribute("src")
        svg = page.context.new_page()  # the same login
        svg.goto(base + chart)
        fill = svg.evaluate("getComputedStyle(document.querySelector('.serie-0 rect')).fill")
        assert fill == "rgb(11, 92, 173)", fill
        assert svg.evaluate("document.scripts.length") == 0
        svg.close()

        page.get_by_role("link", name="各馆统计").click()
        page.wait_for_url(re.compile(r"/stats/units\?"))
        # The wide table scrolls in its frame; the page itself does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        rows = page.locator("table.units-table tbody tr")
        assert rows.count() == 6  # DC and DC-TD: roll-up and own; the point and DC-WL: one each
        assert "铜都社区服务点" in rows.nth(4).inner_text()
        _charts_loaded(page, 1)
        page.get_by_role("link", name="归还册次").click()  # sorting is a link
        page.wait_for_url(re.compile(r"sort=returns"))
        assert page.locator("th[aria-sort=descending]").get_attribute("data-figure") == "returns"
        assert page.locator("table.units-table tbody tr").nth(2).get_attribute("data-unit") == "DC-WL"
        _accessible(page)
        page.screenshot(path=str(screenshots / "stats-units.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 CSV（可用 Excel 打开）").click()
        assert download.value.suggested_filename.startswith("stats-DC-")

        # 长者模式: the page and its charts, drawn larger.
        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()
        assert "elder" in (page.locator("body").get_attribute("class") or "")
        assert all("elder=1" in src for src in _charts_loaded(page, 1))
        page.get_by_role("link", name="统计概览").click()
        page.wait_for_url(re.compile(r"/stats\?"))
        assert all("elder=1" in src for src in _charts_loaded(page, 2))
        assert page.locator("table.months tbody tr").count() == 12
        width = page.evaluate("document.querySelector('img.chart-image').getBoundingClientRect().width")
        assert width > 600  # the chart takes the column, not a thumbnail
        _accessible(page)
        page.screenshot(path=str(screenshots / "stats-overview-elder.png"), full_page=True)

        # On a phone nothing scrolls sideways but the tables inside their frames.
        phone = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
        small = phone.new_page()
        small.context.add_cookies(page.context.cookies())
        small.goto(f"{base}/stats?unit=DC")
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        small.screenshot(path=str(screenshots / "stats-overview-phone.png"), full_page=True)
        phone.close()


def test_a_librarian_sees_their_own_units_with_charts_and_is_refused_another(
        lib: Library, db: Database, chromium: Any, screenshots: Path) -> None:
    with live_server(db.url) as base:
        page = _page(chromium)
        page.goto(f"{base}/desk/login")
        page.get_by_label("用户名").fill("lib-td")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/desk")
        page.get_by_role("link", name="统计", exact=True).click()  # from the desk's navigation
        page.wait_for_url(f"{base}/stats")
        assert page.locator("h1").inner_text() == "统计概览：铜都街道分馆"
        options = page.locator("#stats-unit option")
        assert options.count() == 2 and options.first.get_attribute("value") == "DC-TD"
        assert page.locator("#figure-loans .n").inner_text() == "2"
        _charts_loaded(page, 2)
        assert page.locator("table.bars tbody tr").count() == 2  # DC-TD itself and its point
        _accessible(page)
        page.screenshot(path=str(screenshots / "stats-librarian.png"), full_page=True)

        page.get_by_role("link", name="各馆统计").click()
        page.wait_for_url(re.compile(r"/stats/units\?"))
        _charts_loaded(page, 1)
        assert page.locator("table.units-table tbody tr").count() == 3

        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()
        assert all("elder=1" in src for src in _charts_loaded(page, 1))
        page.screenshot(path=str(screenshots / "stats-librarian-units-elder.png"), full_page=True)

        response = page.goto(f"{base}/stats?unit=DC-WL")
        assert response is not None and response.status == 403
        assert "您不在这个服务点的服务范围内" in page.locator("main").inner_text()
