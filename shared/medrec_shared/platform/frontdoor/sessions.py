"""A front door's session ids and its forms' CSRF tokens: both HMACs, so they need no storage.

An id is 32 random bytes and a tag over them under the front door's key, base64url (64
characters): a signed-out visitor's id, which has no row, is still known to be ours (its forms'
CSRF tokens stay valid across tabs) while an id made up elsewhere (a cookie planted to fix a
victim's session) is not, and is never adopted. A row is found by the id's hash (`id_hash`), never
by the id, so a copied table names no cookie. Each front door keys its own: neither adopts the
other's ids."""

import base64
import binascii
import hashlib
import hmac
import secrets

SESSION_ID_BYTES = 32
_TAG_BYTES = 16


class SessionIds:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def _tag(self, nonce: bytes) -> bytes:
        return hmac.new(self.key, b"session-id:" + nonce, hashlib.sha256).digest()[:_TAG_BYTES]

    def new(self) -> str:
        nonce = secrets.token_bytes(SESSION_ID_BYTES)
        return base64.urlsafe_b64encode(nonce + self._tag(nonce)).decode().rstrip("=")

    def issued(self, session_id: str | None) -> bool:
        """Whether `session_id` is one this front door (any replica, same key) made."""
        if not session_id or len(session_id) != 64 or not session_id.isascii():
            return False
        try:
            raw = base64.urlsafe_b64decode(session_id + "==")
        except (binascii.Error, ValueError):
            return False
        nonce, tag = raw[:SESSION_ID_BYTES], raw[SESSION_ID_BYTES:]
        return len(tag) == _TAG_BYTES and hmac.compare_digest(self._tag(nonce), tag)


def id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def csrf_token(key: bytes, session_id: str) -> str:
    """The CSRF token of the forms of the browser holding `session_id` (HMAC, so it needs no
    storage and a signed-out visitor's forms have one too)."""
    return hmac.new(key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, session_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(key, session_id), token or "")
