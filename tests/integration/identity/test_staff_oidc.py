"""Staff sign-in through the organisation's OpenID Connect provider (production's
MEDREC_STAFF_SIGN_IN=oidc), against the stand-in provider: the ID token's account claim names an
existing, active staff account, which gets a session as with a password; an unknown or disabled
account is a failed sign-in (accounts are never made here); a state is good once; the password
sign-in is not served."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import new_login
from tests.support.fake_oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    FakeProvider,
    fake_provider,
)
from tests.support.identity_lab import Lab, identity_lab, problem, token_claims


@dataclass
class Oidc:
    lab: Lab
    provider: FakeProvider


@pytest.fixture(scope="module")
def oidc(cluster: Cluster) -> Iterator[Oidc]:
    with fake_provider() as provider:
        env = {
            "MEDREC_STAFF_SIGN_IN": "oidc",
            "MEDREC_STAFF_OIDC_ISSUER": provider.issuer,
            "MEDREC_STAFF_OIDC_CLIENT_ID": CLIENT_ID,
            "MEDREC_STAFF_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }
        with identity_lab(cluster, "staff-oidc", env) as lab:
            yield Oidc(lab, provider)


def sign_in_as(oidc: Oidc, username: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """Start, the person at the provider, finish: (what finish was sent, its answer's body)."""
    http = oidc.lab.client()
    started = http.post("/v1/staff/oidc/start", json={"redirect_uri": REDIRECT_URI})
    assert started.status_code == 200, started.text
    assert "login" not in started.json()["authorization_url"]
    oidc.provider.person = {"preferred_username": username} if username else {}
    code, state = oidc.provider.login(started.json()["authorization_url"])
    assert state == started.json()["state"]
    sent = {"state": state, "code": code, "redirect_uri": REDIRECT_URI}
    finished = http.post("/v1/staff/oidc/finish", json=sent)
    return sent, {**finished.json(), "http_status": str(finished.status_code)}


def test_the_provider_signs_in_an_existing_account(cluster: Cluster, oidc: Oidc) -> None:
    login = new_login("oidc.reviewer")
    cluster.create_staff(login, "정심사", "khis", ["reviewer"])
    _, body = sign_in_as(oidc, login)
    assert body["http_status"] == "201", body
    assert body["staff"]["login"] == login and body["staff"]["roles"] == ["reviewer"]
    claims = token_claims(oidc.lab.url(), body["access_token"])
    assert claims["staff"]["login"] == login
    refreshed = oidc.lab.client().post(
        "/v1/staff/sessions/refresh", json={"session_token": body["session_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text


def test_an_unknown_or_unnamed_account_is_a_failed_sign_in(oidc: Oidc) -> None:
    for username in (new_login("stranger"), None):
        _, body = sign_in_as(oidc, username)
        assert body["http_status"] == "401", body
        assert body["type"].endswith("/sign-in-failed")


def test_a_state_is_good_once(cluster: Cluster, oidc: Oidc) -> None:
    login = new_login("oidc.once")
    cluster.create_staff(login, "한번만", "khis", ["auditor"])
    sent, body = sign_in_as(oidc, login)
    assert body["http_status"] == "201", body
    again = oidc.lab.client().post("/v1/staff/oidc/finish", json=sent)
    problem(again, 401, "sign-in-failed")


def test_the_password_sign_in_is_not_served(oidc: Oidc) -> None:
    response = oidc.lab.client().post(
        "/v1/staff/sessions", json={"login": "platform", "password": "x" * 12, "totp": "000000"}
    )
    problem(response, 404, "not-found")
