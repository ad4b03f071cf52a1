"""본인인증 through an OpenID Connect provider, in a real browser: a portal and an identity of
their own (tests/lab.py), identity configured for the stand-in provider
(tests/integration/identity/fake_oidc.py) whose redirect URI is this portal's `/verify/callback`.
The citizen goes to the provider and back and lands on their records; a provider that logged in
someone else (the binding refuses the CI) or a returned state that is not the flow's own shows a
Korean error page and leaves no session. The portal purges expired sessions itself, on a
schedule (a short one here): the row goes, and its cookie signs no one in. This portal has a
database of its own, so moving its clock expires no other test's sessions."""

import asyncio
import hashlib
import re
import secrets
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from medrec_devstack.processes import Process, free_port, wait_until
from medrec_identity.binding.sandbox import sandbox_ci
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.browser import Person
from tests.support.builders import inline, record_body
from tests.support.fake_oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeProvider,
    fake_provider,
)
from tests.support.lab import Lab, service_lab
from tests.support.stack import new_database

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE = "820214-1456781", "문가온", "1982-02-14", "010-4400-0001"
CLINIC = "93400001"
PURGE_SECONDS = 1


T = TypeVar("T")


def off_the_loop(work: Callable[[], T]) -> T:
    """`work` in a thread of its own: Playwright's event loop counts as running on the test's
    thread, and asyncio.run (new_database, asyncpg) refuses to start there."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


@dataclass
class World:
    op: FakeProvider
    portal: Lab
    identity: Lab
    database_url: str


def portal_database(cluster: Cluster) -> str:
    """A migrated portal database of this module's own."""
    url = off_the_loop(lambda: new_database(cluster, f"medrec_portal_oidc_{secrets.token_hex(4)}"))
    migrate = Process(
        "portal-migrate-oidc",
        [str(Path(sys.executable).parent / "medrec-portal-migrate")],
        cluster.logs / "portal-migrate-oidc.log",
        env=cluster.env("portal") | {"MEDREC_PORTAL_DATABASE_URL": url},
    ).start()
    assert migrate.wait(120) == 0, migrate.last_log_line()
    return url


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> Iterator[World]:
    """The stand-in provider, an identity in OIDC mode redirecting to a portal of its own (its
    port chosen first: the redirect URI names it), and that portal, purging every second."""
    portal_port = free_port()
    database_url = portal_database(cluster)
    callback = f"http://127.0.0.1:{portal_port}/verify/callback"
    with fake_provider() as op:
        oidc = {
            "MEDREC_IDENTITY_VERIFICATION_PROVIDER": "oidc",
            "MEDREC_IDENTITY_OIDC_ISSUER": op.issuer,
            "MEDREC_IDENTITY_OIDC_CLIENT_ID": CLIENT_ID,
            "MEDREC_IDENTITY_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "MEDREC_IDENTITY_OIDC_REDIRECT_URI": callback,
        }
        with service_lab(cluster, "identity", "portal-oidc", oidc) as identity:
            portal_env = {
                "MEDREC_PORTAL_IDENTITY_URL": identity.url(),
                "MEDREC_PORTAL_DATABASE_URL": database_url,
                # The provider's page is where the 본인인증 form leads (CSP form-action).
                "MEDREC_PORTAL_FORM_ACTION_ORIGINS": op.issuer,
                "MEDREC_PORTAL_SESSION_PURGE_SECONDS": str(PURGE_SECONDS),
            }
            with service_lab(cluster, "portal", "oidc", portal_env, ports=[portal_port]) as portal:
                yield World(op, portal, identity, database_url)


@pytest.fixture(scope="module")
def record(cluster: Cluster) -> str:
    """One record of the citizen's, so their records page has something to show."""
    clinic = Institution(cluster, *Operator(cluster).register_client([CLINIC]))
    transfer = clinic.open_transfer(CLINIC, "구름다리의원")
    body = record_body(RRN, NAME, BIRTH, inline("외래 진료".encode(), "text/plain"),
                       title="구름다리의원 외래 진료기록", service_start="2025-06-01",
                       service_end="2025-06-02")  # fmt: skip
    response = clinic.put_record(transfer, "oidc-1", body)
    assert response.status_code == 201, response.text
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(lambda: len(citizen.records()) == 1, what="the citizen's record in catalog")
    return str(response.json()["record_id"])


def asserted(rrn: str = RRN) -> dict[str, Any]:
    """What the provider asserts for the person it logs in (the CI of `rrn`)."""
    return {"name": NAME, "birthdate": BIRTH, "phone_number": PHONE, "ci": sandbox_ci(rrn)}


def start_sign_in(person: Person) -> None:
    page = person.open("/signin")
    page.get_by_label("이름", exact=True).fill(NAME)
    page.get_by_label("주민등록번호", exact=True).fill(RRN)
    page.get_by_label("휴대전화번호", exact=True).fill(PHONE)
    page.get_by_role("button", name="인증번호 받기").click()


def session_cookie(person: Person) -> str:
    [value] = [c["value"] for c in person.context.cookies() if c["name"] == "medrec_portal_session"]
    return str(value)


def signed_out(person: Person) -> bool:
    """Opening the records page sends this browser to 본인인증."""
    page = person.open("/records")
    return bool(re.search(r"/signin\?", page.url))


def session_rows(database_url: str, cookie: str) -> int:
    """The portal's rows for this cookie (by the hash of its id)."""
    dsn = database_url.replace("+asyncpg", "")

    async def count() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            hashed = hashlib.sha256(cookie.encode()).digest()
            found = await conn.fetchval("SELECT count(*) FROM sessions WHERE id_hash = $1", hashed)
            return int(found)
        finally:
            await conn.close()

    return off_the_loop(lambda: asyncio.run(count()))


def test_a_citizen_signs_in_through_the_provider_and_sees_their_records(
    world: World, record: str, people: Any
) -> None:
    world.op.person = asserted()
    citizen: Person = people(base=world.portal.url())
    start_sign_in(citizen)
    page = citizen.page
    page.wait_for_url(re.compile(r"/records$"))
    expect(page.locator("header")).to_contain_text(f"{NAME}님")
    expect(page.get_by_role("heading", name=re.compile("구름다리의원"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("구름다리의원 외래 진료기록")
    citizen.look("records-oidc")
    [authorize] = [s for s in world.op.server.seen if s.path == "/authorize"][-1:]
    query = " ".join(v for values in authorize.query.values() for v in values)
    for secret in (RRN, RRN.replace("-", "")[6:], NAME, PHONE):
        assert secret not in query  # nothing personal goes to the provider's URL
    assert RRN not in world.portal.log_text() and NAME not in world.portal.log_text()


def test_a_provider_that_logged_in_someone_else_shows_an_error_and_no_session(
    world: World, people: Any
) -> None:
    world.op.person = asserted(rrn="820214-1999990")  # the CI of another RRN: binding refuses
    visitor: Person = people(base=world.portal.url())
    start_sign_in(visitor)
    page = visitor.page
    page.wait_for_url(re.compile(r"/verify/callback\?"))
    expect(page.get_by_role("alert")).to_contain_text("인증된 사람이 입력한 정보와 다릅니다")
    assert "identity-mismatch" not in page.content() and "{" not in page.inner_text("main")
    visitor.look("signin-oidc-refused")
    assert signed_out(visitor)


def test_a_returned_state_that_is_not_the_flows_shows_an_error_and_no_session(
    world: World, people: Any
) -> None:
    world.op.person = asserted()
    world.op.returned_state = "a-state-from-another-flow"
    exchanged = len(world.op.token_requests())
    try:
        visitor: Person = people(base=world.portal.url())
        start_sign_in(visitor)
        page = visitor.page
        page.wait_for_url(re.compile(r"/verify/callback\?"))
        expect(page.get_by_role("alert")).to_contain_text("이 신청과 맞지 않습니다")
        callback = page.url
        visitor.look("signin-oidc-state")
    finally:
        world.op.returned_state = None
    assert len(world.op.token_requests()) == exchanged  # the code was never exchanged
    assert signed_out(visitor)
    # The same callback again (a reload, a replay) finds no flow in this session: 본인인증 anew.
    visitor.page.goto(callback)
    assert visitor.page.url.endswith("/signin")


def test_an_expired_session_is_purged_and_its_cookie_signs_no_one_in(
    world: World, record: str, people: Any
) -> None:
    world.op.person = asserted()
    citizen: Person = people(base=world.portal.url())
    start_sign_in(citizen)
    citizen.page.wait_for_url(re.compile(r"/records$"))
    cookie = session_cookie(citizen)
    assert session_rows(world.database_url, cookie) == 1
    # The portal's clock an hour on: the session (30 minutes idle at most) has expired.
    world.portal.set_clock(datetime.now(UTC) + timedelta(hours=1))
    try:
        wait_until(
            lambda: session_rows(world.database_url, cookie) == 0,
            timeout=30,
            what="the expired session purged",
            interval=0.2,
        )
    finally:
        world.portal.set_clock(None)
    assert signed_out(citizen)
