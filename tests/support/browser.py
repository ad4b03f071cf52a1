"""A real browser for the portal's tests: Debian's Chromium (installed with apt when missing),
driven by Playwright, never a browser downloaded by Playwright. Each page a test opens can be
scanned by axe-core (the npm package the portal's lock file pins), photographed at a phone's and
a desktop's width, and searched for anything that looks like a token."""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")


LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


ROOT = Path(__file__).resolve().parents[2]


AXE = ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js"


SCREENSHOTS = ROOT / "docs" / "screenshots"


PHONE: ViewportSize = {"width": 390, "height": 844}


DESKTOP: ViewportSize = {"width": 1280, "height": 900}


# A JWT: three base64url parts, the first a JSON header ("eyJ" is `{"`).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt on a fresh machine (CI starts from one)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("no /usr/bin/chromium and no apt-get to install it")
    sudo = [] if _is_root() else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run([*sudo, apt, "update"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*sudo, apt, "install", "-y", "chromium"], check=True, env=env, capture_output=True
    )
    if not CHROMIUM.exists():
        raise RuntimeError("apt-get installed chromium but /usr/bin/chromium is missing")
    return CHROMIUM


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now. The script is
    evaluated through the DevTools protocol, which the page's CSP does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
            }));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def screenshot(page: Page, name: str, label: str) -> None:
    """docs/screenshots/<name>-<label>.png of the whole page at its current viewport (the tests
    take each page at PHONE, 390×844, and DESKTOP, 1280×900)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)


def token_leaks(page: Page, context: BrowserContext) -> list[str]:
    """Anything in the page's HTML or the browser's cookies that looks like a token."""
    html = page.content()
    found = [f"html: {m[:24]}…" for m in JWT.findall(html)]
    if "access_token" in html:
        found.append("html: access_token")
    for cookie in context.cookies():
        if JWT.search(cookie["value"]) or "access_token" in cookie["value"]:
            found.append(f"cookie {cookie['name']}")
    return found


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


@dataclass
class Checked:
    """The page names already scanned and photographed in this run (each once)."""

    names: set[str] = field(default_factory=set)


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


FITS = """() => {
    const width = window.innerWidth;
    const off = [];
    for (const el of document.querySelectorAll('main *')) {
        if (el.closest('thead, caption, .sr-only')) { continue; }  // for screen readers only
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
            off.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 30));
        }
    }
    return {scroll: document.documentElement.scrollWidth, width, off: off.slice(0, 5)};
}"""


def fits_a_phone(page: Page, *texts: str) -> None:
    """No sideways scrolling, nothing of the page's content past either edge, and each of `texts`
    visible inside the screen's width (the lists' cards at 390 px)."""
    fit = page.evaluate(FITS)
    assert fit["scroll"] <= fit["width"], (page.url, fit)
    assert not fit["off"], (page.url, fit)
    for text in texts:
        shown = page.locator("main").get_by_text(text, exact=False).first
        shown.wait_for(state="visible")
        box = shown.bounding_box()
        assert box is not None and box["x"] >= 0, box
        assert box["x"] + box["width"] <= PHONE["width"], box
