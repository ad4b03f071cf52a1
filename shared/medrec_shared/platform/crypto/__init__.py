"""Envelope encryption for medrec content and personal fields.

Every content object gets its own data key (DEK); the DEK is wrapped by a key-encryption key
(KEK) from a :class:`Keyring` and the wrapped DEK is stored by the owning service, never next to
the object. One module per job:

- :mod:`.stream`: the content stream (chunked AES-256-GCM), its format and its invariants;
- :mod:`.keyring`: the :class:`Keyring` port, :class:`LocalKeyring`, :class:`FileKeyring`,
  wrapped data keys and :func:`rewrap`;
- :mod:`.segment`: several records' content streams in one object, each found by its span;
- :mod:`.seal`: small personal fields (RRN, names) sealed for a database column;
- :mod:`.blind_index`: the keyed hash for equality lookups on sealed values;
- :mod:`.aead`: AES-256-GCM sizes and data keys; :mod:`.errors`: what all of them raise.

Everything the services import is re-exported here: ``from medrec_shared.platform.crypto import
seal``.
"""

from medrec_shared.platform.crypto.aead import KEY_SIZE, TAG_SIZE, new_data_key
from medrec_shared.platform.crypto.blind_index import blind_index
from medrec_shared.platform.crypto.errors import CryptoError, DecryptionError, KeyringError
from medrec_shared.platform.crypto.keyring import (
    FileKeyring,
    Keyring,
    LocalKeyring,
    WrappedKey,
    keyring_from_settings,
    parse_key_spec,
    parse_keyring_file,
    rewrap,
)
from medrec_shared.platform.crypto.seal import reseal, seal, sealed_kek_id, unseal
from medrec_shared.platform.crypto.segment import Span, concatenate, pack
from medrec_shared.platform.crypto.stream import (
    CHUNK_SIZE,
    HEADER_SIZE,
    MAX_CHUNK_SIZE,
    StreamDecryptor,
    StreamEncryptor,
    decrypt_bytes,
    decrypt_stream,
    encrypt_bytes,
)

__all__ = [
    "CHUNK_SIZE",
    "HEADER_SIZE",
    "KEY_SIZE",
    "MAX_CHUNK_SIZE",
    "TAG_SIZE",
    "CryptoError",
    "DecryptionError",
    "FileKeyring",
    "Keyring",
    "KeyringError",
    "LocalKeyring",
    "Span",
    "StreamDecryptor",
    "StreamEncryptor",
    "WrappedKey",
    "blind_index",
    "concatenate",
    "decrypt_bytes",
    "decrypt_stream",
    "encrypt_bytes",
    "keyring_from_settings",
    "new_data_key",
    "pack",
    "parse_key_spec",
    "parse_keyring_file",
    "reseal",
    "rewrap",
    "seal",
    "sealed_kek_id",
    "unseal",
]
