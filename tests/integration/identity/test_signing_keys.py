"""Rotating identity's signing keys with the operator command, as another service sees it: after
`rotate` new tokens carry the new kid and a token signed before still works on catalog; after
`retire` the old kid is gone from the JWKS and catalog refuses that token within its JWKS cache
time; the active key is never retired; a leaked key is retired at once (`retire --kid --now`) and
its unexpired tokens refused; identity away keeps the keys catalog already has.

identity gets a database of its own (retiring a key the shared cluster signs with would log out
every other test), and catalog a process whose identity is that one, with a JWKS cache of
seconds. The command's "now" is a clock file of its own: the test moves it past a token
lifetime instead of waiting one out."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from medrec_devstack.cluster import Cluster
from tests.support.actors import bearer, eventually
from tests.support.lab import Lab, service_lab
from tests.support.stack import new_database, sql

DATABASE = "medrec_identity_keys"
CACHE_SECONDS = 2.0  # catalog's jwks_cache_seconds here (300 s by default)
BIN = Path(sys.executable).parent


@dataclass
class Keys:
    """identity and catalog on the test's own identity database, and the operator command."""

    cluster: Cluster
    identity: Lab
    catalog: Lab
    env: dict[str, str]  # the command's: identity's settings, its own clock file
    clock_file: Path
    outputs: list[str] = field(default_factory=list)  # everything the command printed

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """medrec-identity-signing-keys as an operator runs it: a process of its own."""
        done = subprocess.run(
            [str(BIN / "medrec-identity-signing-keys"), *args],
            env=os.environ | self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.outputs.append(done.stdout + done.stderr)
        return done

    def ok(self, *args: str) -> str:
        done = self.command(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(done.stdout.strip().splitlines()) == 1 or args[0] == "list", done.stdout
        return done.stdout

    def listed(self) -> dict[str, str]:
        """kid -> state, as `list --json` shows them."""
        keys = json.loads(self.ok("list", "--json"))["keys"]
        return {key["kid"]: key["state"] for key in keys}

    def at(self, instant: datetime) -> None:
        """The command's clock stands at `instant`."""
        self.clock_file.write_text(instant.isoformat())

    def token(self) -> str:
        """An operator's client-credentials token from the test's identity."""
        secrets = self.cluster.secrets
        response = httpx.post(
            f"{self.identity.url()}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(secrets.admin_client_id, secrets.admin_client_secret),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def published(self) -> set[str]:
        response = httpx.get(f"{self.identity.url()}/.well-known/jwks.json", timeout=10)
        assert response.status_code == 200, response.text
        return {key["kid"] for key in response.json()["keys"]}

    def catalog_answers(self, token: str) -> int:
        """What catalog answers an operator's request made with `token`."""
        response = httpx.get(
            f"{self.catalog.url()}/v1/admin/stats", headers=bearer(token), timeout=10
        )
        assert response.status_code in (200, 401), response.text
        return response.status_code


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


@pytest.fixture(scope="module")
def keys(cluster: Cluster) -> Iterator[Keys]:
    database = {"MEDREC_IDENTITY_DATABASE_URL": new_database(cluster, DATABASE)}
    env = cluster.env("identity") | database
    migrate = [str(BIN / "medrec-identity-migrate")]
    subprocess.run(migrate, env=os.environ | env, check=True, capture_output=True, timeout=120)
    clock_file = cluster.state / "clock-signing-keys-command"
    clock_file.write_text("")
    command_env = env | {"MEDREC_IDENTITY_CLOCK_FILE": str(clock_file)}
    with service_lab(cluster, "identity", "signing-keys", database) as identity:
        catalog_env = {
            "MEDREC_CATALOG_IDENTITY_URL": identity.url(),
            "MEDREC_CATALOG_JWKS_CACHE_SECONDS": str(CACHE_SECONDS),
        }
        with service_lab(cluster, "catalog", "signing-keys", catalog_env) as catalog:
            yield Keys(cluster, identity, catalog, command_env, clock_file)


@dataclass
class Rotation:
    old: str  # a token signed before the rotation
    new: str  # one signed after
    rotated_at: datetime  # the command's clock at the rotation


@pytest.fixture(scope="module")
def rotation(keys: Keys) -> Rotation:
    old = keys.token()
    assert keys.catalog_answers(old) == 200
    assert keys.listed() == {kid(old): "active"}
    # The key identity made at its first start is minutes old: a rotation now would only pile
    # up published keys, so the command keeps it.
    kept = keys.ok("rotate")
    assert kept.startswith(f"kept {kid(old)}"), kept
    assert keys.listed() == {kid(old): "active"}

    rotated_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    keys.at(rotated_at)
    rotated = keys.ok("rotate")
    assert rotated.startswith("rotated"), rotated
    new = keys.token()
    assert kid(new) != kid(old)
    assert f"signed with {kid(new)}" in rotated and kid(old) in rotated
    return Rotation(old, new, rotated_at)


def test_after_a_rotation_new_tokens_carry_the_new_kid_and_old_tokens_still_work(
    keys: Keys, rotation: Rotation
) -> None:
    old, new = kid(rotation.old), kid(rotation.new)
    assert keys.listed() == {old: "published", new: "active"}
    assert keys.published() == {old, new}
    # catalog meets a kid it does not know and fetches the JWKS (at once, or after its guard
    # against floods of unknown kids: at most CACHE_SECONDS here).
    eventually(
        lambda: keys.catalog_answers(rotation.new) == 200,
        timeout=CACHE_SECONDS + 10,
        what="catalog to take a token signed with the new key",
    )
    # ... and that JWKS, fetched after the rotation, still has the old key.
    assert keys.catalog_answers(rotation.old) == 200
    again = keys.ok("rotate")  # the same night, a second run
    assert again.startswith(f"kept {new}"), again
    assert keys.listed() == {old: "published", new: "active"}


def test_retire_waits_until_every_token_of_the_old_key_has_expired(
    keys: Keys, rotation: Rotation
) -> None:
    # client tokens live an hour: the old key stays an hour and a minute after the rotation
    keys.at(rotation.rotated_at + timedelta(minutes=61) - timedelta(seconds=1))
    waited = keys.ok("retire")
    assert waited.startswith("nothing to retire; due later: " + kid(rotation.old)), waited
    assert keys.published() == {kid(rotation.old), kid(rotation.new)}
    assert keys.catalog_answers(rotation.old) == 200


def test_a_retired_key_leaves_the_jwks_and_catalog_stops_trusting_it_within_its_cache_time(
    keys: Keys, rotation: Rotation
) -> None:
    old, new = kid(rotation.old), kid(rotation.new)
    keys.at(rotation.rotated_at + timedelta(minutes=61))
    retired = keys.ok("retire")
    assert retired.startswith(f"retired {old}: no longer in the JWKS"), retired
    assert keys.published() == {new}
    assert keys.listed() == {old: "retired", new: "active"}
    (row,) = sql(keys.cluster, "identity_keys", "SELECT * FROM signing_keys WHERE kid = $1", old)
    assert row["private_key_sealed"] == b"", "nothing can sign with a retired key again"

    # Without the cache's TTL catalog would trust the retired key for ever; the deadline is
    # generous (no assertion on time: a loaded machine answers late, not wrongly).
    eventually(
        lambda: keys.catalog_answers(rotation.old) == 401,
        timeout=CACHE_SECONDS + 30,
        what="catalog to refuse a token of the retired key",
    )
    assert keys.catalog_answers(rotation.new) == 200
    assert keys.catalog_answers(keys.token()) == 200

    again = keys.ok("retire")
    assert again.startswith("nothing to retire"), again
    assert keys.listed() == {old: "retired", new: "active"}


def test_the_active_key_is_never_retired(keys: Keys, rotation: Rotation) -> None:
    new = kid(rotation.new)
    keys.at(rotation.rotated_at + timedelta(days=400))
    assert keys.ok("retire").startswith("nothing to retire")
    assert keys.published() == {new}
    assert keys.catalog_answers(keys.token()) == 200


def test_a_leaked_key_is_retired_at_once_and_catalog_refuses_its_unexpired_tokens(
    keys: Keys, rotation: Rotation
) -> None:
    leaked_token = keys.token()  # valid for an hour
    leaked = kid(leaked_token)
    assert keys.catalog_answers(leaked_token) == 200
    keys.at(rotation.rotated_at + timedelta(days=400, minutes=1))  # minutes after the rotation
    assert keys.ok("rotate", "--force").startswith("rotated")
    successor = next(k for k, state in keys.listed().items() if state == "active")

    refused = keys.command("retire", "--kid", successor, "--now")
    assert refused.returncode == 1
    assert "is the active key" in refused.stderr and "rotate --force" in refused.stderr
    unknown = keys.command("retire", "--kid", "no-such-kid", "--now")
    assert unknown.returncode == 1 and "no signing key has the kid" in unknown.stderr
    assert keys.published() == {leaked, successor}

    retired = keys.ok("retire", "--kid", leaked, "--now")
    assert retired.startswith(f"retired {leaked} now: no longer in the JWKS"), retired
    assert keys.published() == {successor}
    assert keys.listed()[leaked] == "retired"
    (row,) = sql(keys.cluster, "identity_keys", "SELECT * FROM signing_keys WHERE kid = $1", leaked)
    assert row["private_key_sealed"] == b"", "nothing can sign with a retired key again"
    # The token has not expired, yet catalog refuses it once its JWKS cache time has passed.
    eventually(
        lambda: keys.catalog_answers(leaked_token) == 401,
        timeout=CACHE_SECONDS + 30,
        what="catalog to refuse an unexpired token of the leaked key",
    )
    assert keys.catalog_answers(keys.token()) == 200
    again = keys.ok("retire", "--kid", leaked, "--now")
    assert again.startswith(f"{leaked} was retired already"), again


def test_the_command_never_shows_key_material_or_tokens(keys: Keys, rotation: Rotation) -> None:
    printed = "\n".join(keys.outputs)
    assert printed, "the tests above ran the command"
    secrets = keys.cluster.secrets
    field_keys = [entry.split(":", 1)[1] for entry in secrets.identity_field_keys.split(",")]
    rows = sql(keys.cluster, "identity_keys", "SELECT private_key_sealed FROM signing_keys")
    shown: list[Any] = [rotation.old, rotation.new, *field_keys]
    shown += [bytes(row["private_key_sealed"]).hex() for row in rows if row["private_key_sealed"]]
    assert all(value not in printed for value in shown)
    assert "PRIVATE" not in printed and '"d"' not in printed


def test_tokens_with_unknown_kids_cannot_make_catalog_hammer_identity(keys: Keys) -> None:
    forger = ec.generate_private_key(ec.SECP256R1())

    def jwks_fetches() -> int:
        return keys.identity.log_text().count('"route": "/.well-known/jwks.json"')

    before, started = jwks_fetches(), time.monotonic()
    assert before >= 1, "identity logs each fetch of its JWKS (catalog's, above)"
    for n in range(40):
        forged = jwt.encode(
            {"sub": "x", "scope": "admin", "iss": "medrec-identity", "aud": "medrec"},
            forger,
            algorithm="ES256",
            headers={"kid": f"made-up-{n}"},
        )
        assert keys.catalog_answers(forged) == 401
    took = time.monotonic() - started
    # one fetch per CACHE_SECONDS at most (10 s with the default cache time), not one per token
    assert jwks_fetches() - before <= took / CACHE_SECONDS + 2, (jwks_fetches() - before, took)


def test_identity_away_leaves_catalog_with_the_keys_it_has(keys: Keys, rotation: Rotation) -> None:
    """Last: it stops this module's identity."""
    token = keys.token()
    assert keys.catalog_answers(token) == 200
    keys.identity.stop()

    def refresh_failed() -> bool:
        assert keys.catalog_answers(token) == 200, "catalog keeps trusting the keys it has"
        return "jwks_refresh_failed" in keys.catalog.log_text()

    eventually(refresh_failed, timeout=CACHE_SECONDS + 10, what="catalog to try identity again")
    assert keys.catalog_answers(token) == 200
    lines = [line for line in keys.catalog.log_text().splitlines() if "jwks_refresh" in line]
    assert lines and all(token not in line for line in lines)
    for line in lines:
        entry = json.loads(line)
        assert entry["message"] == "jwks_refresh_failed" and entry["level"] == "warning", entry
        assert entry["keys_kept"] >= 1, entry
