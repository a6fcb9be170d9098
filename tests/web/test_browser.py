"""The reader's and the librarian's journeys in a real browser against the running service.

The reader searches (by pinyin initials), opens a record, logs in, places a hold, sees it in
"my account" with its place in the queue, renews a loan, and turns on 长者模式 and English. The
librarian logs in to the desk, checks a book out to a blocked reader with an override, and
checks in three books that get the three instructions: back to the shelf, the hold shelf for a
named reader, and a transit to a named unit, each with its printable slip.
"""

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

PASSWORD = "password-123"
TIMEOUT_MS = 15_000


def _page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


# What a screen reader and a keyboard user need of every page: the language, the landmarks, a
# name for every control, no focus order of its own (tabindex > 0) and images with text.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  for (const sel of ["header[role=banner]", "main#main", "footer", "a.skip[href='#main']"]) {
    if (!document.querySelector(sel)) problems.push("missing " + sel);
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const labelled = (el.id && document.querySelector(`label[for='${el.id}']`)) || el.closest("label")
      || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push("unlabelled " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.innerText || "").trim() && !el.getAttribute("aria-label")) {
      problems.push("nameless " + el.outerHTML.slice(0, 80));
    }
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (parseInt(el.getAttribute("tabindex"), 10) > 0) problems.push("positive tabindex " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("img:not([alt])")) problems.push("img without alt");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  return problems;
}"""


def _accessible(page: Any) -> None:
    problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
    assert not problems, f"{page.url}: {problems}"


def _wait_for_index(page: Any, base: str, query: str) -> None:
    """The served process indexes the seeded records through its outbox relay; wait for it."""
    for _ in range(100):
        page.goto(f"{base}/opac?q={query}")
        if page.locator("ol.hits li").count():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the catalogue never found {query!r}")


@pytest.fixture
def lib(client: Any, db: Database) -> Library:
    # The served process runs on the system clock: seed at the real time, or the outbox's
    # messages (and the loans) would lie in its future.
    set_clock(FixedClock(datetime.now(timezone.utc)))
    lib = library(client, db)
    lib.title("红楼梦", {"TD-1": "DC-TD", "WL-9": "DC-WL"})
    lib.title("三国演义", {"TD-2": "DC-TD"})
    lib.reader("R001", name="李秀英", password="reader-pass")
    lib.reader("R900", name="王建华")
    return lib


def test_a_reader_finds_a_title_by_pinyin_places_a_hold_and_sees_it_with_renewable_loans_in_their_account(
        lib: Library, db: Database, chromium: Any, screenshots: Path) -> None:
    # Both copies of 红楼梦 are lent to someone else, so the hold waits in the queue; the reader
    # has 三国演义 on loan to renew.
    for barcode in ("TD-1", "WL-9"):
        assert lib.checkout("R900", barcode, "DC-TD").status_code == 201
    assert lib.checkout("R001", "TD-2", "DC-TD").status_code == 201

    with live_server(db.url, relay=True) as base:
        page = _page(chromium)
        _wait_for_index(page, base, "hlm")
        assert page.locator("h1").inner_text() == "书目检索"
        _accessible(page)
        page.screenshot(path=str(screenshots / "opac-search.png"), full_page=True)

        page.get_by_role("link", name="红楼梦").first.click()
        page.wait_for_url(re.compile(r"/opac/records/\d+$"))
        copies = page.locator("table.copies tbody tr")
        assert copies.count() == 2
        assert "借出" in copies.first.inner_text() and "铜都街道分馆" in page.locator("table.copies").inner_text()

        _accessible(page)
        page.get_by_role("link", name="登录后预约").click()
        page.wait_for_url(re.compile(r"/opac/login\?next="))
        _accessible(page)
        page.get_by_label("读者证号").fill("R001")
        page.get_by_label("密码").fill("reader-pass")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(re.compile(r"/opac/records/\d+$"))  # back where the reader was
        page.get_by_label("取书地点").select_option("DC-WL")
        page.screenshot(path=str(screenshots / "opac-record.png"), full_page=True)
        page.get_by_role("button", name="预约此书").click()

        page.wait_for_url(re.compile(r"/opac/account"))
        assert "预约成功" in page.locator(".flash").inner_text()
        holds = page.locator("table.holds").inner_text()
        assert "红楼梦" in holds and "乌龙镇分馆" in holds and "第 1 位" in holds

        page.get_by_role("button", name="续借《三国演义》").click()
        page.wait_for_url(re.compile(r"renewed=TD-2"))
        assert "已续借 TD-2" in page.locator(".flash").inner_text()
        assert page.locator("table.loans tbody tr").first.locator("td").nth(2).inner_text() == "1"
        _accessible(page)
        page.screenshot(path=str(screenshots / "opac-account.png"), full_page=True)

        # 长者模式 and English are remembered by this browser.
        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()
        assert "elder" in (page.locator("body").get_attribute("class") or "")
        assert page.get_by_role("button", name="长者模式").get_attribute("aria-pressed") == "true"
        page.screenshot(path=str(screenshots / "opac-account-elder.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_label("语言").select_option("en")  # the menu applies itself
        assert page.locator("h1").inner_text() == "My account"

        # Keyboard alone: on a page without a search box, the first Tab reaches the skip link,
        # and Enter on it moves the focus into the page's content.
        page.goto(f"{base}/opac/account")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        # On a phone the pages fit the screen: nothing scrolls sideways.
        phone = chromium.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
        small = phone.new_page()
        for path in ("/opac?q=hlm", f"/opac/records/{lib.records['红楼梦']}"):
            small.goto(base + path)
            assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        small.screenshot(path=str(screenshots / "opac-record-phone.png"), full_page=True)
        phone.close()

    with db.session() as session:
        from circulation.models import Hold

        hold = session.query(Hold).one()
        assert hold.status == "waiting" and hold.record_id == lib.records["红楼梦"]


def _scan(page: Any, label: str, value: str) -> None:
    """A keyboard-wedge scanner: the digits, then Enter."""
    field = page.get_by_label(label)
    field.fill("")
    field.type(value)
    field.press("Enter")


def test_a_librarian_overrides_a_block_at_check_out_and_gets_each_of_the_three_check_in_instructions(
        lib: Library, client: Any, db: Database, chromium: Any, screenshots: Path) -> None:
    make_user(db, "lib-td", "librarian", ("DC-TD",), password=PASSWORD)
    lib.title("西游记", {"TD-3": "DC-TD"})
    lib.reader("R002", name="赵敏")
    lib.reader("R003", name="周芳")
    blocked = client.post("/api/v1/patrons/R002/blocks", headers=lib.desk, json={"reason": "借书证挂失待补办"})
    assert blocked.status_code == 201, blocked.text
    # WL-9 belongs to 乌龙镇分馆: returned at 铜都 it goes home. TD-3 is wanted by R003, who
    # collects at 铜都.
    assert lib.checkout("R900", "WL-9", "DC-WL").status_code == 201
    assert lib.checkout("R900", "TD-3", "DC-TD").status_code == 201
    assert lib.hold("R003", "DC-TD", record="西游记").status_code == 201

    with live_server(db.url) as base:
        page = _page(chromium)
        page.goto(f"{base}/desk")
        page.get_by_label("用户名").fill("lib-td")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/desk")
        assert "铜都街道分馆" in page.locator("h1").inner_text()
        _accessible(page)
        page.screenshot(path=str(screenshots / "desk-home.png"), full_page=True)

        # Check-out: the block is shown with its code, overridden with a reason, and the loan made.
        page.get_by_role("link", name="借书").first.click()
        _scan(page, "读者证号、身份证号或姓名", "R002")
        assert "赵敏" in page.locator("#patron-heading").inner_text()
        _scan(page, "图书条码（扫描后自动提交）", "TD-1")
        refused = page.locator("section.refused")
        assert "PATRON_BLOCKED" in refused.inner_text() and "读者被停借" in refused.inner_text()
        _accessible(page)
        page.screenshot(path=str(screenshots / "desk-checkout-blocked.png"), full_page=True)
        page.get_by_label("越权理由").fill("读者出示了身份证")
        page.get_by_role("button", name="越权借出").click()
        page.wait_for_url(re.compile(r"lent=TD-1"))
        assert "已借出 TD-1" in page.locator(".flash").inner_text()
        assert "TD-1" in page.locator("table.loans").inner_text()
        page.emulate_media(media="print")  # the receipt, and nothing else, goes to the printer
        assert page.locator("section.receipt").is_visible() and not page.locator("section.patron").is_visible()
        assert "TD-1" in page.locator("section.receipt").inner_text()
        page.screenshot(path=str(screenshots / "desk-receipt.png"), full_page=True)
        page.emulate_media(media="screen")

        # Check-in: three copies, three instructions.
        page.get_by_role("link", name="还书").first.click()
        page.wait_for_url(f"{base}/desk/checkin")  # the check-out page has a barcode field of that name too
        expected = {
            "TD-1": ("shelve", "放回书架"),
            "WL-9": ("transit", "转运至：乌龙镇分馆"),
            "TD-3": ("hold_shelf", "预约架：周芳（R003）"),
        }
        for barcode, (disposition, words) in expected.items():
            _scan(page, "图书条码（扫描后自动提交）", barcode)
            instruction = page.locator("section.instruction")
            assert instruction.get_attribute("data-disposition") == disposition
            assert instruction.locator(".big").inner_text().strip() == words
            _accessible(page)
            page.screenshot(path=str(screenshots / f"desk-checkin-{disposition}.png"), full_page=True)
            page.emulate_media(media="print")
            assert page.locator("section.slip").is_visible() and not instruction.is_visible()
            page.screenshot(path=str(screenshots / f"desk-slip-{disposition}.png"), full_page=True)
            page.emulate_media(media="screen")

        # The desk's lists know about what just happened.
        page.get_by_role("link", name="预约架").first.click()
        page.wait_for_url(f"{base}/desk/holds/shelf")
        assert "周芳" in page.locator("table").inner_text()
        page.get_by_role("link", name="转运").first.click()
        assert "WL-9" in page.locator("#to_send-heading + .table-wrap").inner_text()
        _accessible(page)
        page.screenshot(path=str(screenshots / "desk-transits.png"), full_page=True)

    loans = client.get("/api/v1/patrons/R002/loans?history=true", headers=lib.desk).json()
    assert loans[0]["overrides"][0]["code"] == "PATRON_BLOCKED"
    assert loans[0]["overrides"][0]["reason"] == "读者出示了身份证"
