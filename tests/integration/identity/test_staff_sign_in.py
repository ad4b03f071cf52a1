"""Staff sign-in against an identity process with low limits and a movable clock: password and
TOTP (a code counts once), the forced password change, sessions (8 hours at most, 30 minutes
idle), sign-out; the limits that bound guessing a password per address and per (login,
address), never locking the account; the lock that only wrong codes after the right password
bring; and the staff accounts API (staff:manage), each act announced as a StaffActed."""

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest

from medrec_devstack.cluster import Cluster, StaffCredentials
from medrec_shared.rules.staff import scopes_for
from tests.support.actors import Staff, bearer, new_login
from tests.support.identity_lab import Lab, identity_lab, new_address, problem, token_claims
from tests.support.stack import sql

FAILURES_PER_LOGIN, FAILURES_PER_ADDRESS, CODE_FAILURES = 3, 6, 3
LOCK_SECONDS = 600
NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[Lab]:
    env = {
        "MEDREC_IDENTITY_STAFF_SIGN_IN_FAILURES_PER_LOGIN_ADDRESS": str(FAILURES_PER_LOGIN),
        "MEDREC_IDENTITY_STAFF_SIGN_IN_FAILURES_PER_IP": str(FAILURES_PER_ADDRESS),
        "MEDREC_IDENTITY_STAFF_SIGN_IN_PER_IP": "100",
        "MEDREC_IDENTITY_STAFF_SECOND_FACTOR_FAILURES": str(CODE_FAILURES),
        "MEDREC_IDENTITY_STAFF_LOCK_SECONDS": str(LOCK_SECONDS),
    }
    with identity_lab(cluster, "staff", env) as running:
        yield running


_HOURS = itertools.count(1)


@pytest.fixture
def base(lab: Lab) -> datetime:
    """Each test on its own stretch of the lab's clock, outside the others' windows."""
    instant = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3, hours=10 * next(_HOURS))
    lab.set_clock(instant)
    return instant


def code(account: StaffCredentials, at: datetime) -> str:
    return pyotp.TOTP(pyotp.parse_uri(account.totp_uri).secret).at(at)


def sign_in(
    http: httpx.Client, account: StaffCredentials, at: datetime, **overrides: str
) -> httpx.Response:
    body = {"login": account.login, "password": account.password, "totp": code(account, at)}
    return http.post("/v1/staff/sessions", json=body | overrides)


def new_account(cluster: Cluster, roles: tuple[str, ...] = ("reviewer",)) -> StaffCredentials:
    return cluster.create_staff(new_login("signin"), "김직원", "khis", list(roles))


def signed_in(lab: Lab, account: StaffCredentials, at: datetime) -> dict[str, Any]:
    """First sign-in and the forced password change; the account's password is then the new
    one (`NEW_PASSWORD`)."""
    http = lab.client()
    first = sign_in(http, account, at)
    assert first.status_code == 200, first.text
    changed = http.post(
        "/v1/staff/password",
        json={"change_token": first.json()["change_token"], "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 201, changed.text
    body: dict[str, Any] = changed.json()
    return body


def test_first_sign_in_changes_the_password_then_a_session_refreshes_until_sign_out(
    cluster: Cluster, lab: Lab, base: datetime
) -> None:
    account = new_account(cluster, ("reviewer", "auditor"))
    http = lab.client()
    first = sign_in(http, account, base)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "password_change_required"
    assert "access_token" not in first.json()
    assert first.headers["cache-control"] == "no-store"
    change_token = first.json()["change_token"]
    for weak in ("short", account.login, "x" * 300):
        refused = http.post(
            "/v1/staff/password", json={"change_token": change_token, "new_password": weak}
        )
        body = problem(refused, 422, "validation")
        assert [e["field"] for e in body["errors"]] == ["new_password"], body
    same = http.post(
        "/v1/staff/password",
        json={"change_token": change_token, "new_password": account.password},
    )
    problem(same, 422, "validation")
    changed = http.post(
        "/v1/staff/password", json={"change_token": change_token, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 201, changed.text
    session = changed.json()
    assert session["status"] == "signed_in" and session["token_type"] == "Bearer"
    assert session["staff"]["login"] == account.login
    assert session["staff"]["roles"] == ["auditor", "reviewer"]
    assert session["expires_in"] <= 900
    ends = datetime.fromisoformat(session["session_expires_at"])
    assert ends == base + timedelta(hours=8)
    claims = token_claims(lab.url(), session["access_token"])
    assert set(claims["scope"].split()) == scopes_for(["reviewer", "auditor"])
    assert claims["staff"]["login"] == account.login
    # The change token is spent.
    again = http.post(
        "/v1/staff/password", json={"change_token": change_token, "new_password": NEW_PASSWORD}
    )
    problem(again, 401, "sign-in-failed")

    lab.set_clock(base + timedelta(minutes=20))
    refreshed = http.post(
        "/v1/staff/sessions/refresh", json={"session_token": session["session_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != session["access_token"]
    assert datetime.fromisoformat(refreshed.json()["session_expires_at"]) == ends

    ended = http.post("/v1/staff/sessions/end", json={"session_token": session["session_token"]})
    assert ended.status_code == 204
    after = http.post(
        "/v1/staff/sessions/refresh", json={"session_token": session["session_token"]}
    )
    problem(after, 401, "session-ended")
    twice = http.post("/v1/staff/sessions/end", json={"session_token": session["session_token"]})
    assert twice.status_code == 204

    # The next sign-in is with the new password, straight to a session.
    lab.set_clock(base + timedelta(minutes=21))
    done = sign_in(http, account, base + timedelta(minutes=21), password=NEW_PASSWORD)
    assert done.status_code == 201, done.text


def test_a_session_idles_out_after_30_minutes_and_ends_after_8_hours(
    cluster: Cluster, lab: Lab, base: datetime
) -> None:
    account = new_account(cluster)
    http = lab.client()
    idle = signed_in(lab, account, base)["session_token"]
    lab.set_clock(base + timedelta(minutes=31))
    problem(
        http.post("/v1/staff/sessions/refresh", json={"session_token": idle}), 401, "session-ended"
    )

    at = base + timedelta(minutes=32)
    lab.set_clock(at)
    long = sign_in(http, account, at, password=NEW_PASSWORD).json()["session_token"]
    for minutes in range(25, 8 * 60, 25):
        lab.set_clock(at + timedelta(minutes=minutes))
        kept = http.post("/v1/staff/sessions/refresh", json={"session_token": long})
        assert kept.status_code == 200, (minutes, kept.text)
    lab.set_clock(at + timedelta(hours=8))
    problem(
        http.post("/v1/staff/sessions/refresh", json={"session_token": long}), 401, "session-ended"
    )


def test_a_code_counts_once(cluster: Cluster, lab: Lab, base: datetime) -> None:
    account = new_account(cluster)
    signed_in(lab, account, base)
    at = base + timedelta(minutes=1)
    lab.set_clock(at)
    http = lab.client()
    assert sign_in(http, account, at, password=NEW_PASSWORD).status_code == 201
    replayed = sign_in(http, account, at, password=NEW_PASSWORD)
    problem(replayed, 401, "sign-in-failed")
    # The code of the step after is still good (one step of drift is allowed).
    later = sign_in(http, account, at + timedelta(seconds=30), password=NEW_PASSWORD)
    assert later.status_code == 201, later.text


def test_a_stranger_who_knows_the_login_is_limited_and_locks_no_one_out(
    cluster: Cluster, lab: Lab, base: datetime
) -> None:
    account = new_account(cluster)
    stranger = lab.client(address=new_address())
    answers = [
        sign_in(stranger, account, base, password=f"guess number {n}")
        for n in range(FAILURES_PER_LOGIN)
    ]
    bodies = [problem(answer, 401, "sign-in-failed") for answer in answers]
    unknown = sign_in(lab.client(), account, base, login=new_login("nobody"))
    assert problem(unknown, 401, "sign-in-failed")["detail"] == bodies[0]["detail"]
    limited = sign_in(stranger, account, base, password="one more guess")
    problem(limited, 429, "rate-limited")
    assert int(limited.headers["retry-after"]) >= 1
    # Even the right password is refused from that address now …
    problem(sign_in(stranger, account, base), 429, "rate-limited")
    # … while the owner, elsewhere, signs in: the account is not locked.
    owner = sign_in(lab.client(address=new_address()), account, base)
    assert owner.status_code == 200, owner.text
    # One address failing for many logins is bounded too.
    spray = lab.client(address=new_address())
    statuses = [
        sign_in(spray, account, base, login=new_login("spray")).status_code
        for _ in range(FAILURES_PER_ADDRESS + 1)
    ]
    assert statuses == [401] * FAILURES_PER_ADDRESS + [429], statuses


def test_only_wrong_codes_after_the_right_password_lock_the_account(
    cluster: Cluster, lab: Lab, base: datetime
) -> None:
    account = new_account(cluster)
    signed_in(lab, account, base)
    wrong = "000000" if code(account, base) != "000000" else "111111"
    for _ in range(CODE_FAILURES):
        answer = sign_in(lab.client(), account, base, password=NEW_PASSWORD, totp=wrong)
        problem(answer, 401, "sign-in-failed")
    locked = sign_in(lab.client(), account, base + timedelta(seconds=30), password=NEW_PASSWORD)
    problem(locked, 423, "account-locked")
    assert 1 <= int(locked.headers["retry-after"]) <= LOCK_SECONDS
    # Without the password, the lock is not even told.
    problem(sign_in(lab.client(), account, base, password="not it at all"), 401, "sign-in-failed")
    later = base + timedelta(seconds=LOCK_SECONDS + 30)
    lab.set_clock(later)
    unlocked = sign_in(lab.client(), account, later, password=NEW_PASSWORD)
    assert unlocked.status_code == 201, unlocked.text


def test_the_staff_accounts_api_each_act_on_the_audit_trail(
    cluster: Cluster, lab: Lab, base: datetime
) -> None:
    platform = Staff(cluster, new_login("kim.platform"))
    admin = httpx.Client(base_url=lab.url(), headers=bearer(platform.token), timeout=30)
    login = new_login("lee.hc")
    created = admin.post(
        "/v1/admin/staff",
        json={
            "login": login,
            "name": "이보건",
            "organisation": "hc:26",
            "roles": ["health_centre"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["account"]["region"] == "26" and body["account"]["status"] == "active"
    assert body["account"]["created_by"] == platform.login
    account_id = body["account"]["account_id"]
    credentials = StaffCredentials(login, body["password"], body["totp_uri"])
    assert sign_in(lab.client(), credentials, base).status_code == 200

    taken = admin.post(
        "/v1/admin/staff",
        json={"login": login, "name": "둘째", "organisation": "khis", "roles": ["auditor"]},
    )
    problem(taken, 409, "conflict")
    refused = admin.put(f"/v1/admin/staff/{account_id}/roles", json={"roles": ["platform"]})
    problem(refused, 422, "validation")  # a health centre's person oversees their region only

    reset = admin.post(f"/v1/admin/staff/{account_id}/second-factor-reset")
    assert reset.status_code == 200, reset.text
    renewed = StaffCredentials(login, body["password"], reset.json()["totp_uri"])
    at = base + timedelta(minutes=2)
    lab.set_clock(at)
    problem(sign_in(lab.client(), credentials, at), 401, "sign-in-failed")  # the old secret
    session = signed_in(lab, renewed, at)

    disabled = admin.post(f"/v1/admin/staff/{account_id}/disable")
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    problem(
        lab.client().post(
            "/v1/staff/sessions/refresh", json={"session_token": session["session_token"]}
        ),
        401,
        "session-ended",
    )
    at = base + timedelta(minutes=3)
    lab.set_clock(at)
    renewed = StaffCredentials(login, NEW_PASSWORD, renewed.totp_uri)
    problem(sign_in(lab.client(), renewed, at), 401, "sign-in-failed")

    me = token_claims(lab.url(), platform.token)["staff"]["account_id"]
    problem(admin.post(f"/v1/admin/staff/{me}/disable"), 409, "conflict")  # not oneself

    listed = admin.get("/v1/admin/staff", params={"limit": 200}).json()["items"]
    assert {i["login"]: i["status"] for i in listed}[login] == "disabled"

    acts = sql(
        cluster,
        "identity",
        "SELECT envelope FROM outbox WHERE envelope->>'type' = 'StaffActed' "
        "AND envelope->'data'->>'resource_id' = $1",
        account_id,
    )
    data = [json.loads(row["envelope"])["data"] for row in acts]
    assert sorted(d["act"] for d in data) == [
        "staff.create",
        "staff.disable",
        "staff.second_factor_reset",
    ]
    assert {(d["actor"], d["actor_kind"], d["organisation"]) for d in data} == {
        (platform.login, "staff", "khis")
    }
