"""The blind index: a keyed hash for equality lookups on sealed values (the person index).

Hashes sit in databases beside sealed fields and are compared across services: the function
must not change by a single byte (tests/unit/test_stored_formats.py holds known answers).
"""

import hashlib
import hmac

from medrec_shared.platform.crypto.aead import KEY_SIZE

__all__ = ["blind_index"]


def blind_index(key: bytes, value: str) -> str:
    """Keyed lookup hash: hex HMAC-SHA256 of ``value`` (UTF-8) under ``key``.

    No normalisation happens here; callers normalise first so equal values hash equally (for an
    RRN: strip whitespace and remove '-'). ``key`` is a dedicated secret (not a KEK), >= 32 bytes.
    """
    if len(key) < KEY_SIZE:
        raise ValueError(f"blind index key must be at least {KEY_SIZE} bytes")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
