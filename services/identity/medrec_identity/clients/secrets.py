"""Client secrets: shown once, stored as a salted scrypt hash.

scrypt is deliberately slow (tens of milliseconds of CPU): checks run in a worker thread so the
event loop keeps serving other requests, and a client id that does not exist is checked against a
dummy hash, so an unknown id costs the same time as a known one with a wrong secret (no timing
oracle for which client ids exist)."""

import asyncio
import hashlib
import hmac
import secrets

# Any salt and digest will do: no secret hashes to all zeroes.
_DUMMY_SALT, _DUMMY_HASH = bytes(16), bytes(32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt or secrets.token_bytes(16)
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32), salt


def secret_matches(secret: str, expected: bytes, salt: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt)[0], expected)


async def check_secret(secret: str, expected: bytes | None, salt: bytes | None) -> bool:
    """`secret_matches` off the event loop; with no stored hash (an unknown client), the same
    work against a dummy, answering False."""
    if expected is None or salt is None:
        await asyncio.to_thread(secret_matches, secret, _DUMMY_HASH, _DUMMY_SALT)
        return False
    return await asyncio.to_thread(secret_matches, secret, expected, salt)
