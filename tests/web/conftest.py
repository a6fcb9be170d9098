"""A real browser for the web tests: Debian's Chromium, driven by Playwright's Python API.

scripts/browsers.sh installs Chromium; without it the browser tests are skipped, except under
CI, where they fail. Screenshots of the pages go to test-output/screenshots (ILS_TEST_OUTPUT
changes the folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium keeps calling Google's hosts, which a closed network refuses.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    path = os.environ.get("ILS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (scripts/browsers.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    root = Path(os.environ.get("ILS_TEST_OUTPUT", "test-output")) / "screenshots"
    folder = root / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
