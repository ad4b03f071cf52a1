"""Staff sign-in through the organisation's OpenID Connect provider (MEDREC_CONSOLE_SIGN_IN=oidc
with identity's MEDREC_STAFF_SIGN_IN=oidc), in a real browser against the stand-in provider: a
console and an identity of their own (tests/support/lab.py), sharing the cluster's databases.
The person goes to the provider and back and lands on 현황 with their menu; an account the
provider names but identity does not know, or a callback this browser never started, signs no
one in and says so in Korean."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import CONSOLE, Cluster
from tests.support.actors import new_login
from tests.support.console import StaffAtConsole
from tests.support.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider
from tests.support.lab import Lab, service_lab

pytestmark = pytest.mark.e2e
FAILED = "기관 계정 로그인에 실패했습니다"


@dataclass
class World:
    provider: FakeProvider
    console: Lab


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> Iterator[World]:
    with fake_provider() as provider:
        oidc = {
            "MEDREC_STAFF_SIGN_IN": "oidc",
            "MEDREC_STAFF_OIDC_ISSUER": provider.issuer,
            "MEDREC_STAFF_OIDC_CLIENT_ID": CLIENT_ID,
            "MEDREC_STAFF_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }
        with service_lab(cluster, "identity", "console-oidc", oidc) as identity:
            console_env = {
                "MEDREC_CONSOLE_IDENTITY_URL": identity.url(),
                "MEDREC_CONSOLE_SIGN_IN": "oidc",
                # The provider's page is where the 로그인 form leads (CSP form-action).
                "MEDREC_CONSOLE_FORM_ACTION_ORIGINS": provider.issuer,
            }
            with service_lab(cluster, CONSOLE, "oidc", console_env) as console:
                yield World(provider, console)


def at_console(staff_people: Any, world: World) -> StaffAtConsole:
    """Someone at a browser, at this module's console."""
    person: StaffAtConsole = staff_people()
    person.base = world.console.url()
    return person


def test_a_person_signs_in_at_their_organisation_and_lands_on_the_console(
    cluster: Cluster, world: World, staff_people: Any
) -> None:
    login = new_login("oidc.reviewer")
    cluster.create_staff(login, "한기관", "khis", ["reviewer"])
    person = at_console(staff_people, world)
    page = person.open("/signin")
    assert page.get_by_label("비밀번호", exact=True).count() == 0  # no password here
    person.look("signin-oidc")
    world.provider.person = {"preferred_username": login}
    page.get_by_role("button", name="기관 계정으로 로그인").click()
    page.wait_for_url(world.console.url() + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("현황")
    assert person.menu() == ["현황", "연계 검토", "대리 신청 검토"]


def test_an_account_identity_does_not_know_signs_no_one_in(world: World, staff_people: Any) -> None:
    person = at_console(staff_people, world)
    page = person.open("/signin")
    world.provider.person = {"preferred_username": new_login("nobody")}
    page.get_by_role("button", name="기관 계정으로 로그인").click()
    page.wait_for_url("**/signin/callback**")
    expect(page.get_by_role("alert")).to_contain_text(FAILED)
    assert "/signin" in person.open("/").url


def test_a_callback_this_browser_never_started_is_refused(world: World, staff_people: Any) -> None:
    person = at_console(staff_people, world)
    page = person.open("/signin/callback?code=stolen&state=made-up")
    expect(page.get_by_role("alert")).to_contain_text(FAILED)
    assert "/signin" in person.open("/").url
