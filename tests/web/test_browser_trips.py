"""What readers and librarians tripped over, in a real browser against the running service:
长者模式 that did not enlarge the text, destructive buttons that did not ask, an ID card number
scanned at the desk that ended up in the address bar, and a check-in page that forgot the
books returned a minute ago."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

from ils.clock import FixedClock, set_clock
from ils.db import Database
from tests.support.factories import make_user
from tests.support.library import Library, library
from tests.support.live_server import live_server

PASSWORD = "password-123"
TIMEOUT_MS = 15_000
ID_CARD = "11010519491231002X"

# The computed size of body text (a paragraph of the page, which sets no size of its own) and of
# the page's heading, in CSS pixels.
FONT_SIZES = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  return {text: px(document.querySelector("main p.hint")), heading: px(document.querySelector("h1")),
          root: px(document.documentElement)};
}"""


def _page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def lib(client: Any, db: Database) -> Library:
    # The served process runs on the system clock: seed at the real time.
    set_clock(FixedClock(datetime.now(timezone.utc)))
    lib = library(client, db)
    lib.title("红楼梦", {"TD-1": "DC-TD", "WL-9": "DC-WL"})
    lib.title("三国演义", {"TD-2": "DC-TD"})
    lib.reader("R001", name="李秀英", password="reader-pass")
    lib.reader("R900", name="王建华", id_card_number=ID_CARD)
    lib.reader("R901", name="王建华", unit="DC-WL")
    return lib


def test_elder_mode_enlarges_the_text_and_cancelling_a_hold_asks_first(
        lib: Library, db: Database, chromium: Any) -> None:
    assert lib.checkout("R900", "TD-1", "DC-TD").status_code == 201
    assert lib.hold("R001", "DC-TD", record="红楼梦").status_code == 201

    with live_server(db.url) as base:
        page = _page(chromium)
        page.goto(f"{base}/opac")
        normal = page.evaluate(FONT_SIZES)
        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()
        elder = page.evaluate(FONT_SIZES)
        assert normal["text"] == 16 and normal["root"] == 16
        assert elder["text"] == 22 and elder["root"] == 22, (normal, elder)
        assert elder["heading"] > normal["heading"] * 1.3  # headings (rem) grow with the root
        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()
        assert page.evaluate(FONT_SIZES) == normal

        page.goto(f"{base}/opac/login?next=/opac/account")
        page.get_by_label("读者证号").fill("R001")
        page.get_by_label("密码").fill("reader-pass")
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(re.compile(r"/opac/account$"))
        asked: list[str] = []

        def say_no(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", say_no)
        page.get_by_role("button", name="取消《红楼梦》的预约").click()
        page.wait_for_timeout(300)  # a dismissed question sends nothing
        assert asked == ["确定取消《红楼梦》的预约吗？"]
        assert page.url.endswith("/opac/account") and "红楼梦" in page.locator("table.holds").inner_text()

        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.get_by_role("button", name="取消《红楼梦》的预约").click()
        page.wait_for_url(re.compile(r"cancelled="))
        assert "预约已取消" in page.locator(".flash").inner_text()
        assert page.locator("table.holds").count() == 0

    with db.session() as session:
        from circulation.models import Hold

        assert session.query(Hold).one().status == "cancelled"


def test_an_id_card_number_scanned_at_the_desk_stays_out_of_the_address_and_check_in_lists_the_session(
        lib: Library, db: Database, chromium: Any) -> None:
    make_user(db, "lib-td", "librarian", ("DC-TD",), password=PASSWORD)
    assert lib.checkout("R900", "WL-9", "DC-WL").status_code == 201
    assert lib.checkout("R001", "TD-2", "DC-TD").status_code == 201

    with live_server(db.url) as base:
        page = _page(chromium)
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        page.goto(f"{base}/desk/login")
        page.get_by_label("用户名").fill("lib-td")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/desk")

        page.goto(f"{base}/desk/checkout")
        field = page.get_by_label("读者证号、身份证号或姓名")
        field.type(ID_CARD)
        field.press("Enter")
        page.wait_for_url(f"{base}/desk/checkout?card=R900")
        assert "王建华" in page.locator("#patron-heading").inner_text()

        # A name shared by two readers: a list to choose from, told apart by unit and masked ID.
        field = page.get_by_label("读者证号、身份证号或姓名")
        field.fill("王建华")
        field.press("Enter")
        page.wait_for_url(f"{base}/desk/patrons")
        rows = page.locator("table.matches tbody tr")
        assert rows.count() == 2 and "110105********002X" in rows.first.inner_text()
        page.get_by_role("link", name="选择 王建华（R901）").click()
        page.wait_for_url(f"{base}/desk/checkout?card=R901")
        assert not [url for url in seen if ID_CARD in url or ID_CARD.lower() in url], seen

        page.goto(f"{base}/desk/checkin")
        for barcode in ("WL-9", "TD-2"):
            scan = page.get_by_label("图书条码（扫描后自动提交）")
            scan.type(barcode)
            with page.expect_navigation():
                scan.press("Enter")
        page.goto(f"{base}/desk/checkin")  # a fresh page still knows this session's returns
        listed = page.locator("section.session-returns li")
        assert listed.count() == 2
        assert "TD-2" in listed.nth(0).inner_text() and "放回书架" in listed.nth(0).inner_text()
        assert "WL-9" in listed.nth(1).inner_text() and "转运至：乌龙镇分馆" in listed.nth(1).inner_text()

        # Expiring the hold shelf asks; said no to, nothing is sent.
        page.goto(f"{base}/desk/holds/shelf")
        asked: list[str] = []

        def say_no(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", say_no)
        page.get_by_role("button", name="处理过期未取的预约").click()
        page.wait_for_timeout(300)
        assert asked and asked[0].startswith("确定处理过期未取的预约吗") and page.url == f"{base}/desk/holds/shelf"
