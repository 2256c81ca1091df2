"""Browser tests: Debian's Chromium driven by Playwright against a real server on 127.0.0.1, started here on
a temporary SQLite database seeded with a small fixed dataset.

Never downloads a browser: the system executable is used, and the tests skip (with the reason) when it is
missing. CI installs it (``apt-get install -y chromium``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import CHROMIUM, CHROMIUM_ARGS, Site, start_site
from tests.needs import need

WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    with start_site() as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    need(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


def new_page(browser: Any, site: Site, *, lang: str = "bn-BD", width: str = "phone", **options: Any) -> Any:
    context = browser.new_context(
        base_url=site.base_url, locale=lang, viewport=WIDTHS[width], accept_downloads=True, **options
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture()
def page_factory(browser: Any, site: Site) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(**kwargs: Any) -> Any:
        page = new_page(browser, site, **kwargs)
        contexts.append(page.context)
        return page

    yield make
    for c in contexts:
        c.close()
