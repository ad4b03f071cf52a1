"""AES-256-GCM sizes and data keys, shared by the content stream, the keyrings and sealed fields.

Every content object and every sealed field gets its own data key (DEK, :func:`new_data_key`),
drawn with ``os.urandom`` (the stored-format tests replace it to replay known answers). A DEK
encrypts exactly one object or one field.
"""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KEY_SIZE", "NONCE_SIZE", "TAG_SIZE", "data_key_aead", "new_data_key"]

KEY_SIZE = 32
TAG_SIZE = 16
NONCE_SIZE = 12


def new_data_key() -> bytes:
    """A fresh random 256-bit DEK; use one per object."""
    return os.urandom(KEY_SIZE)


def data_key_aead(dek: bytes) -> AESGCM:
    """AES-GCM under ``dek``; a wrong-length key is a caller bug, not a refused ciphertext."""
    if len(dek) != KEY_SIZE:
        raise ValueError(f"data key must be {KEY_SIZE} bytes")
    return AESGCM(dek)
