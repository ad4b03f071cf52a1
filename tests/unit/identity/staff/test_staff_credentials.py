"""Staff credentials: argon2id password hashes (an unknown login checked against a dummy), TOTP
codes as RFC 6238 says (SHA-1, 30 s, 6 digits, one step of drift), and the sealed secret."""

import asyncio
import base64
import secrets
from datetime import UTC, datetime, timedelta

import pyotp

from medrec_identity.staff import credentials
from medrec_shared.platform.crypto import LocalKeyring

NOW = datetime(2026, 12, 7, 9, 0, 10, tzinfo=UTC)


def test_a_password_is_kept_as_an_argon2id_hash() -> None:
    hashed = credentials.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert asyncio.run(credentials.password_matches("correct horse battery", hashed))
    assert not asyncio.run(credentials.password_matches("wrong horse battery", hashed))
    assert not asyncio.run(credentials.password_matches("correct horse battery", None))
    assert not asyncio.run(credentials.password_matches("x", "not a hash"))


def test_a_generated_password_is_long_and_random() -> None:
    made = {credentials.new_password() for _ in range(20)}
    assert len(made) == 20 and all(len(p) == 20 and p.isalnum() for p in made)


def test_a_code_matches_its_step_or_one_either_side() -> None:
    secret = credentials.new_totp_secret()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(NOW)
    assert credentials.totp_step(secret, totp.at(NOW), NOW) == step
    assert credentials.totp_step(secret, totp.at(NOW - timedelta(seconds=30)), NOW) == step - 1
    assert credentials.totp_step(secret, totp.at(NOW + timedelta(seconds=30)), NOW) == step + 1
    assert credentials.totp_step(secret, totp.at(NOW - timedelta(seconds=60)), NOW) is None
    assert credentials.totp_step(secret, "12345", NOW) is None
    assert credentials.totp_step(secret, "abcdef", NOW) is None


def test_the_uri_is_what_an_authenticator_reads() -> None:
    secret = credentials.new_totp_secret()
    parsed = pyotp.parse_uri(credentials.totp_uri(secret, "kim.platform"))
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret and parsed.digits == 6 and parsed.interval == 30
    assert parsed.name == "kim.platform" and parsed.issuer == "medrec"


def test_the_secret_is_sealed_under_its_own_context() -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    keyring = LocalKeyring.from_spec(f"kek-1:{key}", "kek-1")
    secret = credentials.new_totp_secret()
    sealed = credentials.seal_totp(keyring, secret)
    assert secret.encode() not in sealed
    assert credentials.unseal_totp(keyring, sealed) == secret
