"""Staff at the console in a real browser (as `browser.Person` is a citizen at the portal): the
checks every console page passes, signing in with password and one-time password (pyotp
computes the code, as an authenticator app does), and staff accounts made through the local
stack's `medrec-stack staff create`."""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
from playwright.sync_api import Page

from medrec_devstack.cluster import Cluster
from tests.support.browser import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Person,
    axe_violations,
    describe,
    token_leaks,
)


@dataclass(frozen=True)
class StaffAccount:
    login: str
    password: str
    totp_uri: str

    def code(self) -> str:
        """The one-time password of this moment (the secret is in the otpauth URI)."""
        secret = parse_qs(urlsplit(self.totp_uri).query)["secret"][0]
        return pyotp.TOTP(secret).now()


def create_staff(
    cluster: Cluster,
    *,
    login: str,
    name: str,
    organisation: str,
    roles: list[str],
    region: str | None = None,
) -> StaffAccount:
    """A staff account in the cluster's identity, as `medrec-stack staff create` makes one: its
    first password and its second factor's otpauth URI (shown once)."""
    command = [str(Path(sys.executable).parent / "medrec-stack"), "staff", "create",
               "--login", login, "--name", name, "--organisation", organisation,
               "--state", str(cluster.state)]  # fmt: skip
    for role in roles:
        command += ["--role", role]
    if region:
        command += ["--region", region]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("login="))
    fields = dict(part.split("=", 1) for part in line.split(" "))
    return StaffAccount(fields["login"], fields["password"], fields["totp"])


class StaffAtConsole(Person):
    """A staff person at a browser of their own, at the console."""

    def look(self, name: str) -> None:
        """The checks every console page passes, once per page name: Korean, no token,
        security headers, axe-core at a phone's and a desktop's width, and its screenshot at
        desktop width (docs/screenshots/console-<name>.png)."""
        page = self.page
        assert page.locator("html").get_attribute("lang") == "ko"
        assert not token_leaks(page, self.context), token_leaks(page, self.context)
        if name in self.checked.names:
            return
        self.checked.names.add(name)
        headers = page.request.get(page.url, max_redirects=0).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            violations = axe_violations(page)
            assert not violations, f"console {name} ({label}): {describe(violations)}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)

    def sign_in_as(self, account: StaffAccount, *, look: bool = False) -> Page:
        """아이디, 비밀번호, 일회용 비밀번호; lands on 현황 (or the new password page)."""
        page = self.open("/signin")
        if look:
            self.look("signin")
        page.get_by_label("아이디", exact=True).fill(account.login)
        page.get_by_label("비밀번호", exact=True).fill(account.password)
        page.get_by_label("일회용 비밀번호", exact=True).fill(account.code())
        page.get_by_role("button", name="로그인", exact=True).click()
        page.wait_for_load_state()
        return page

    def choose_password(self, new_password: str, *, look: bool = False) -> Page:
        page = self.page
        page.wait_for_url(re.compile(r"/signin/password$"))
        if look:
            self.look("password")
        page.get_by_label("새 비밀번호", exact=True).fill(new_password)
        page.get_by_label("새 비밀번호 확인", exact=True).fill(new_password)
        page.get_by_role("button", name="비밀번호 바꾸고 로그인").click()
        page.wait_for_load_state()
        return page

    def menu(self) -> list[str]:
        """The menu's entries as this person sees them."""
        return [t.strip() for t in self.page.locator("nav.console-nav a").all_inner_texts()]
