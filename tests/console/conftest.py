"""The console in a real browser against the shared cluster: one Chromium for the whole run, a
fresh browser context (cookies) per person, and every page a person lands on checked once by
name: axe-core (no serious or critical violation), no token in its HTML or cookies, the security
headers, and its screenshots (console-<page>-phone/desktop.png)."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from medrec_devstack.cluster import CONSOLE, Cluster
from tests.support.browser import LAUNCH_ARGS, Checked, ensure_chromium
from tests.support.console import StaffAtConsole

TIMEOUT_MS = 30_000


# Package-scoped, not session: while Playwright's sync API runs, its event loop counts as running
# on this thread, and the rest of the suite's asyncio.run would refuse to start.
@pytest.fixture(scope="package")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    chromium = playwright_session.chromium.launch(
        executable_path=str(ensure_chromium()), args=LAUNCH_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def checked() -> Checked:
    return Checked()


@pytest.fixture(scope="package")
def staff_people(browser: Browser, cluster: Cluster, checked: Checked) -> Iterator[Any]:
    opened: list[StaffAtConsole] = []

    def person(**options: Any) -> StaffAtConsole:
        """Someone at a browser, at the cluster's console."""
        context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900},
                                      **options)  # fmt: skip
        context.set_default_timeout(TIMEOUT_MS)
        made = StaffAtConsole(context, context.new_page(), cluster.url(CONSOLE), checked)
        opened.append(made)
        return made

    yield person
    for made in opened:
        made.close()
