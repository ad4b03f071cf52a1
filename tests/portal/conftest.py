"""The portal in a real browser against the shared cluster: one Chromium for the whole run, a
fresh browser context (cookies) per person, and every page a person lands on checked once by
name: axe-core (no serious or critical violation), no token in its HTML or cookies, the security
headers, and its screenshots at a phone's and a desktop's width."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from medrec_devstack.cluster import Cluster
from tests.support.browser import (
    DESKTOP,
    LAUNCH_ARGS,
    PHONE,
    axe_violations,
    describe,
    ensure_chromium,
    screenshot,
    token_leaks,
)

TIMEOUT_MS = 30_000


# Package-scoped, not session: while Playwright's sync API runs, its event loop counts as running
# on this thread, and the rest of the suite's asyncio.run (tests/stack.py) would refuse to start.
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


@dataclass
class Checked:
    """The page names already scanned and photographed in this run (each once)."""

    names: set[str] = field(default_factory=set)


@pytest.fixture(scope="package")
def checked() -> Checked:
    return Checked()


@dataclass
class Person:
    """Someone at a browser: a context of their own (cookies), one tab."""

    context: BrowserContext
    page: Page
    base: str
    checked: Checked
    extra: dict[str, Any] = field(default_factory=dict)

    def open(self, path: str) -> Page:
        response = self.page.goto(self.base + path)
        assert response is not None
        return self.page

    def look(self, name: str) -> None:
        """The checks every page passes, once per page name: accessibility at a phone's and a
        desktop's width, no token, security headers, screenshots at both widths."""
        page = self.page
        assert page.locator("html").get_attribute("lang") == "ko"
        assert not token_leaks(page, self.context), token_leaks(page, self.context)
        if name in self.checked.names:
            return
        self.checked.names.add(name)
        headers = page.request.get(page.url, max_redirects=0).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            violations = axe_violations(page)
            assert not violations, f"{name} ({label}): {describe(violations)}"
            screenshot(page, name, label)

    def sign_in(self, name: str, rrn: str, phone: str) -> None:
        page = self.open("/signin")
        self.look("signin")
        page.get_by_label("이름", exact=True).fill(name)
        page.get_by_label("주민등록번호", exact=True).fill(rrn)
        page.get_by_label("휴대전화번호", exact=True).fill(phone)
        page.get_by_role("button", name="인증번호 받기").click()
        page.wait_for_url(re.compile(r"/signin/code$"))
        code = page.locator("#sandbox-code").inner_text().strip()
        assert re.fullmatch(r"\d{6}", code), code
        self.look("signin-code")
        page.get_by_label("인증번호", exact=True).fill(code)
        page.get_by_role("button", name="확인", exact=True).click()
        page.wait_for_url(re.compile(r"/records"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="package")
def people(browser: Browser, cluster: Cluster, checked: Checked) -> Iterator[Any]:
    opened: list[Person] = []

    def person(base: str | None = None, **options: Any) -> Person:
        """Someone at a browser, at the cluster's portal or at `base` (a lab's portal)."""
        context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900},
                                      accept_downloads=True, **options)  # fmt: skip
        context.set_default_timeout(TIMEOUT_MS)
        made = Person(context, context.new_page(), base or cluster.url("portal"), checked)
        opened.append(made)
        return made

    yield person
    for made in opened:
        made.close()
