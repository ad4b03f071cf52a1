"""Sealed fields: small personal values (RRN, names) encrypted for a database column.

Envelope per field, so it works with any :class:`~medrec_shared.platform.crypto.keyring.Keyring`
(including a KMS that never releases KEKs) and rotation can re-wrap without touching the
ciphertext. Blob::

    b"MRS1" | len u8 | kek_id | len u16 BE | wrapped DEK | nonce (12) | ciphertext || tag

The AAD is ``b"MRS1" + context`` (e.g. ``b"ingest.patient"``): a blob copied to another column is
refused. Columns keep these blobs for decades: the layout must not change by a single byte
(tests/unit/test_stored_formats.py holds known answers written by it).
"""

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from medrec_shared.platform.crypto.aead import NONCE_SIZE, TAG_SIZE, data_key_aead, new_data_key
from medrec_shared.platform.crypto.errors import DecryptionError, KeyringError
from medrec_shared.platform.crypto.keyring import Keyring, WrappedKey, rewrap

__all__ = ["reseal", "seal", "sealed_kek_id", "unseal"]

_SEAL_MAGIC = b"MRS1"


def seal(keyring: Keyring, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt a small personal field for a DB column (the blob of the module docstring).

    ``context`` (e.g. ``b"ingest.patient"``) is AAD: a blob copied to another column is refused.
    """
    dek = new_data_key()
    wrapped = keyring.wrap(dek)
    kek_id = wrapped.kek_id.encode()
    if not 0 < len(kek_id) < 256 or len(wrapped.wrapped) >= 2**16:
        raise KeyringError("wrapped key does not fit the sealed-field format")
    nonce = os.urandom(NONCE_SIZE)
    body = AESGCM(dek).encrypt(nonce, plaintext, _SEAL_MAGIC + context)
    return b"".join(
        (
            _SEAL_MAGIC,
            struct.pack(">B", len(kek_id)),
            kek_id,
            struct.pack(">H", len(wrapped.wrapped)),
            wrapped.wrapped,
            nonce,
            body,
        )
    )


def unseal(keyring: Keyring, blob: bytes, *, context: bytes) -> bytes:
    """Inverse of :func:`seal`. :class:`DecryptionError` on any mismatch (incl. wrong context);
    :class:`KeyringError` if the KEK id is unknown to ``keyring``."""
    try:
        if blob[:4] != _SEAL_MAGIC:
            raise DecryptionError
        pos = 4
        id_len = blob[pos]
        kek_id = blob[pos + 1 : pos + 1 + id_len].decode("ascii")
        pos += 1 + id_len
        (w_len,) = struct.unpack_from(">H", blob, pos)
        pos += 2
        wrapped = blob[pos : pos + w_len]
        pos += w_len
        nonce = blob[pos : pos + NONCE_SIZE]
        body = blob[pos + NONCE_SIZE :]
        if len(kek_id) != id_len or len(wrapped) != w_len or len(body) < TAG_SIZE:
            raise DecryptionError
    except (IndexError, struct.error, UnicodeDecodeError):
        raise DecryptionError from None
    dek = keyring.unwrap(WrappedKey(kek_id, wrapped))
    try:
        return data_key_aead(dek).decrypt(nonce, body, _SEAL_MAGIC + context)
    except (InvalidTag, ValueError):
        raise DecryptionError from None


def _split_sealed(blob: bytes) -> tuple[WrappedKey, bytes]:
    try:
        if blob[:4] != _SEAL_MAGIC:
            raise DecryptionError
        id_len = blob[4]
        kek_id = blob[5 : 5 + id_len].decode("ascii")
        (w_len,) = struct.unpack_from(">H", blob, 5 + id_len)
        start = 7 + id_len
        wrapped = blob[start : start + w_len]
        if len(kek_id) != id_len or len(wrapped) != w_len:
            raise DecryptionError
    except (IndexError, struct.error, UnicodeDecodeError):
        raise DecryptionError from None
    return WrappedKey(kek_id, wrapped), blob[start + w_len :]


def sealed_kek_id(blob: bytes) -> str:
    """Which KEK a sealed field depends on (for rotation bookkeeping)."""
    return _split_sealed(blob)[0].kek_id


def reseal(keyring: Keyring, blob: bytes) -> bytes:
    """A sealed field with its data key re-wrapped by the active KEK; the ciphertext is kept."""
    wrapped, rest = _split_sealed(blob)
    fresh = rewrap(keyring, wrapped)
    kek_id = fresh.kek_id.encode()
    return b"".join(
        (
            _SEAL_MAGIC,
            struct.pack(">B", len(kek_id)),
            kek_id,
            struct.pack(">H", len(fresh.wrapped)),
            fresh.wrapped,
            rest,
        )
    )
