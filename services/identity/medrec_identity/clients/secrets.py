"""Client secrets: shown once, stored as a salted scrypt hash."""

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    salt = salt or secrets.token_bytes(16)
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32), salt


def secret_matches(secret: str, expected: bytes, salt: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt)[0], expected)
