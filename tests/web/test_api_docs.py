"""/docs in a real browser with no internet: Swagger UI renders every operation and runs one,
under the app's Content-Security-Policy, and neither it nor the pages ask any other host or
break the policy."""

from __future__ import annotations

from ils.migrate import upgrade
from tests.support.live_server import live_server


def test_docs_work_offline_under_the_policy(chromium, tmp_path, screenshots):
    url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    upgrade(url)
    with live_server(url) as base:
        page = chromium.new_page()
        problems: list[str] = []
        elsewhere: list[str] = []
        page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
                and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:") or elsewhere.append(r.url))
        try:
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock", state="attached", timeout=60_000)
            assert page.locator(".opblock").count() > 50
            health = page.locator("#operations-system-health_api_v1_health_get")
            health.scroll_into_view_if_needed()
            health.locator(".opblock-summary").click()
            health.locator("button.try-out__btn").click()
            health.locator("button.execute").click()
            page.wait_for_selector("#operations-system-health_api_v1_health_get .response-col_status",
                                   timeout=30_000)
            assert '"status": "ok"' in health.locator(".responses-wrapper").inner_text()
            health.screenshot(path=str(screenshots / "docs-health.png"))
            for path in ("/opac", "/desk/login"):
                page.goto(f"{base}{path}")
                page.wait_for_load_state("load")
        finally:
            page.close()
        assert problems == []
        assert elsewhere == []
