"""A staff person's credentials: the password kept as an argon2id hash (argon2-cffi's defaults,
RFC 9106's second recommended option), the TOTP secret kept sealed with the field keyring under
its own context, and the codes checked as RFC 6238 says (SHA-1, 30-second steps, 6 digits, one
step of drift either way), answering the step that matched so that it is used once.

Hashing is slow on purpose: it runs in a worker thread so the event loop keeps serving, and a
login that does not exist is checked against a dummy hash, so an unknown login answers as slowly
as a known one with a wrong password (no timing oracle for which logins exist)."""

import asyncio
import hmac
import secrets
import string
from datetime import datetime
from urllib.parse import quote

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from medrec_shared.platform.crypto import Keyring, seal, unseal

TOTP_CONTEXT = b"identity.staff.totp"
TOTP_ISSUER = "medrec"
TOTP_DRIFT_STEPS = 1  # pyotp's valid_window=1: the step before and after count too

_hasher = PasswordHasher()  # argon2id
# Any password's hash will do: what matters is that checking it costs what a real check costs.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_ALPHABET = string.ascii_letters + string.digits


def new_password() -> str:
    """A first (or reset) password, shown once: 20 letters and digits (about 119 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _matches(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def password_matches(password: str, hashed: str | None) -> bool:
    """`password` against `hashed` off the event loop; with no hash (no such login), the same
    work against a dummy, answering False."""
    if hashed is None:
        await asyncio.to_thread(_matches, password, _DUMMY_HASH)
        return False
    return await asyncio.to_thread(_matches, password, hashed)


async def hashed(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends for SHA-1


def seal_totp(keyring: Keyring, secret: str) -> bytes:
    return seal(keyring, secret.encode(), context=TOTP_CONTEXT)


def unseal_totp(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=TOTP_CONTEXT).decode()


def totp_uri(secret: str, login: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=quote(login), issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is (now's, or one step either side), or None."""
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    matched = None
    for offset in range(-TOTP_DRIFT_STEPS, TOTP_DRIFT_STEPS + 1):
        # Every step is compared, in constant time, whichever matches.
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            matched = current + offset
    return matched
