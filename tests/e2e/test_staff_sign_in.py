"""A staff person as the local stack makes one and as they sign in: `medrec-stack staff create` on
the running stack prints the account once; the person signs in with the password and the code
their authenticator app computes, must change the password first, refreshes the session and
signs out; a stranger who knows the login and guesses passwords locks no one out; `medrec-stack
staff token` gives a token for the account (sandbox only)."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from medrec_devstack.cluster import Cluster, StaffCredentials
from medrec_shared.rules.staff import scopes_for
from tests.support.actors import new_login
from tests.support.identity_lab import new_address, problem, token_claims

pytestmark = pytest.mark.e2e

LAUNCHER = str(Path(sys.executable).parent / "medrec-stack")


def stack(*args: str) -> str:
    done = subprocess.run(
        [LAUNCHER, *args], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout.strip()


def code(totp_uri: str, at: datetime) -> str:
    return pyotp.TOTP(pyotp.parse_uri(totp_uri).secret).at(at)


def test_a_staff_person_made_by_the_launcher_signs_in_changes_the_password_and_signs_out(
    cluster: Cluster,
) -> None:
    login = new_login("yoon.reviewer")
    printed = stack(
        "staff", "create", "--login", login, "--name", "윤심사", "--organisation", "khis",
        "--role", "reviewer", "--role", "auditor", "--state", str(cluster.state),
    )  # fmt: skip
    line = printed.splitlines()[-1]
    assert line.startswith(f"login={login} password=") and " totp=otpauth://totp/" in line
    account = StaffCredentials.parse(line)
    person = httpx.Client(
        base_url=cluster.url("identity"), headers={"X-Forwarded-For": new_address()}, timeout=30
    )
    now = datetime.now(UTC)

    first = person.post(
        "/v1/staff/sessions",
        json={"login": login, "password": account.password, "totp": code(account.totp_uri, now)},
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "password_change_required"
    new_password = "윤심사의 새 비밀번호 2026"
    changed = person.post(
        "/v1/staff/password",
        json={"change_token": first.json()["change_token"], "new_password": new_password},
    )
    assert changed.status_code == 201, changed.text
    session = changed.json()
    claims = token_claims(cluster.url("identity"), session["access_token"])
    assert set(claims["scope"].split()) == scopes_for(["reviewer", "auditor"])
    assert claims["staff"]["login"] == login and claims["staff"]["organisation"] == "khis"

    refreshed = person.post(
        "/v1/staff/sessions/refresh", json={"session_token": session["session_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert (
        person.post(
            "/v1/staff/sessions/end", json={"session_token": session["session_token"]}
        ).status_code
        == 204
    )
    problem(
        person.post("/v1/staff/sessions/refresh", json={"session_token": session["session_token"]}),
        401,
        "session-ended",
    )

    # A stranger who knows the login guesses passwords (and codes) from elsewhere ...
    stranger = httpx.Client(
        base_url=cluster.url("identity"), headers={"X-Forwarded-For": new_address()}, timeout=30
    )
    for guess in range(12):
        answer = stranger.post(
            "/v1/staff/sessions",
            json={"login": login, "password": f"guess {guess:02d} password", "totp": "123456"},
        )
        assert answer.status_code in (401, 429), answer.text
    # ... and the person still signs in, with the new password (the next step's code: the
    # first one is used).
    later = person.post(
        "/v1/staff/sessions",
        json={
            "login": login,
            "password": new_password,
            "totp": code(account.totp_uri, datetime.now(UTC) + timedelta(seconds=30)),
        },
    )
    assert later.status_code == 201, later.text
    assert later.json()["staff"]["login"] == login

    token = stack("staff", "token", "--login", login, "--state", str(cluster.state))
    assert token_claims(cluster.url("identity"), token.splitlines()[-1])["staff"]["login"] == login
