"""Envelope encryption for medrec content and personal fields.

Every content object gets its own data key (DEK, :func:`new_data_key`); the DEK is wrapped by a
key-encryption key (KEK) from a :class:`Keyring` and the wrapped DEK is stored by the owning
service, never next to the object.

Content format (STREAM construction, AES-256-GCM per chunk)::

    header  = b"MRC1" | version u8 (=1) | chunk_size u32 BE | nonce_prefix (7 random bytes)
    record  = AES-GCM(dek, nonce, chunk, aad=header) = ciphertext || 16-byte tag
    nonce   = nonce_prefix (7) || chunk index u32 BE (4) || last-chunk flag (1: 0x00 / 0x01)
    object  = header || record_0 || ... || record_n ; only record_n has the flag set
    records are chunk_size + 16 bytes except the last (16..chunk_size + 16); empty content is
    one empty final record.

The index in the nonce catches reordering, the last-chunk flag catches truncation and appended
data, the header as AAD catches header edits. A DEK must encrypt exactly one object.

Small personal fields (RRN, names) use :func:`seal` / :func:`unseal`; equality lookups use the
keyed hash :func:`blind_index`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import struct
import time
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
    "StreamDecryptor",
    "StreamEncryptor",
    "WrappedKey",
    "blind_index",
    "ciphertext_length",
    "decrypt_bytes",
    "decrypt_stream",
    "encrypt_bytes",
    "encrypt_stream",
    "keyring_from_settings",
    "new_data_key",
    "parse_key_spec",
    "parse_keyring_file",
    "reseal",
    "rewrap",
    "seal",
    "sealed_kek_id",
    "unseal",
]

KEY_SIZE = 32
TAG_SIZE = 16
CHUNK_SIZE = 64 * 1024
# Header values are read before anything is authenticated: cap them so a forged header cannot make
# a decryptor buffer gigabytes.
MAX_CHUNK_SIZE = 16 * 1024 * 1024
_MAX_CHUNKS = 2**32  # the chunk index is a u32 in the nonce

_MAGIC = b"MRC1"
_VERSION = 1
_PREFIX_SIZE = 7
_HEADER = struct.Struct(">4sBI7s")
HEADER_SIZE = _HEADER.size  # 16

_SEAL_MAGIC = b"MRS1"
_NONCE_SIZE = 12
_WRAP_AAD = b"medrec.kek-wrap.v1|"
_KEK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class CryptoError(Exception):
    """Base class of the errors raised by this module."""


class DecryptionError(CryptoError):
    """Ciphertext refused: tampered, truncated, reordered, extended or wrong key.

    Deliberately carries no detail: callers must not learn anything about the content.
    """

    def __init__(self) -> None:
        super().__init__("decryption failed")


class KeyringError(CryptoError):
    """Keyring misconfiguration or unknown / retired KEK id. Never contains key material."""


# --------------------------------------------------------------------------------------------
# Keyring
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A DEK encrypted under the KEK ``kek_id``; both fields go to the owning service's DB."""

    kek_id: str
    wrapped: bytes


@runtime_checkable
class Keyring(Protocol):
    """Port for KEK holders: a local keyring in dev/tests, a KMS (Vault transit, ...) in prod.

    ``unwrap`` raises :class:`KeyringError` for an unknown / retired id and
    :class:`DecryptionError` when the wrapped bytes do not authenticate.
    """

    @property
    def active_kek_id(self) -> str: ...

    def wrap(self, dek: bytes) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey) -> bytes: ...

    def kek_ids(self) -> list[str]: ...


class LocalKeyring(Keyring):
    """In-memory keyring: several KEKs, one active for new wraps.

    Wrapping is AES-256-GCM (random 96-bit nonce, AAD binds the KEK id), giving
    ``wrapped = nonce (12) || ciphertext || tag (16)``. Chosen over RFC 3394 key wrap because it
    authenticates the KEK id and accepts keys of any length.
    """

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if not keys:
            raise KeyringError("keyring has no keys")
        for kek_id, key in keys.items():
            _check_kek_id(kek_id)
            if len(key) != KEY_SIZE:
                raise KeyringError(f"KEK {kek_id!r}: expected {KEY_SIZE} bytes, got {len(key)}")
        self._keys: dict[str, AESGCM] = {k: AESGCM(bytes(v)) for k, v in keys.items()}
        self._active = ""
        self.set_active(active)

    @classmethod
    def from_spec(cls, spec: str, active: str) -> LocalKeyring:
        """Parse ``"kek-2026-01:<base64 32 bytes>,kek-2026-06:<base64>"`` (settings / env)."""
        return cls(parse_key_spec(spec), active)

    @classmethod
    def generate(cls, kek_id: str = "kek-dev") -> LocalKeyring:
        """A keyring with one fresh random KEK (tests and local development)."""
        return cls({kek_id: os.urandom(KEY_SIZE)}, kek_id)

    @property
    def active_kek_id(self) -> str:
        return self._active

    def set_active(self, kek_id: str) -> None:
        """Rotate: new wraps use ``kek_id``; older ids stay available for unwrap."""
        if kek_id not in self._keys:
            raise KeyringError(f"unknown KEK id {kek_id!r}")
        self._active = kek_id

    def kek_ids(self) -> list[str]:
        return list(self._keys)

    def wrap(self, dek: bytes) -> WrappedKey:
        nonce = os.urandom(_NONCE_SIZE)
        aad = _WRAP_AAD + self._active.encode()
        return WrappedKey(self._active, nonce + self._keys[self._active].encrypt(nonce, dek, aad))

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        aead = self._keys.get(wrapped.kek_id)
        if aead is None:
            raise KeyringError(f"unknown or retired KEK id {wrapped.kek_id!r}")
        blob = wrapped.wrapped
        if len(blob) < _NONCE_SIZE + TAG_SIZE:
            raise DecryptionError
        try:
            aad = _WRAP_AAD + wrapped.kek_id.encode()
            return aead.decrypt(blob[:_NONCE_SIZE], blob[_NONCE_SIZE:], aad)
        except InvalidTag:
            raise DecryptionError from None

    def __repr__(self) -> str:  # never show key material
        return f"LocalKeyring(kek_ids={self.kek_ids()!r}, active={self._active!r})"


def parse_key_spec(spec: str) -> dict[str, bytes]:
    """The KEKs of ``"kek-2026-01:<base64 32 bytes>,kek-2026-06:<base64>"`` by id."""
    keys: dict[str, bytes] = {}
    entries = [e.strip() for e in spec.split(",")]
    for n, entry in enumerate(entries, start=1):
        if not entry:
            continue
        kek_id, sep, b64 = entry.partition(":")
        kek_id = kek_id.strip()
        # Messages name the entry position or id only: a malformed entry may be a bare key.
        if not sep or not kek_id:
            raise KeyringError(f"keyring spec entry #{n} is not of the form <id>:<base64 key>")
        _check_kek_id(kek_id, where=f"keyring spec entry #{n}")
        if kek_id in keys:
            raise KeyringError(f"keyring spec: duplicate KEK id {kek_id!r}")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"KEK {kek_id!r}: key is not valid base64") from None
        if len(key) != KEY_SIZE:
            raise KeyringError(f"KEK {kek_id!r}: expected {KEY_SIZE} bytes, got {len(key)}")
        keys[kek_id] = key
    if not keys:
        raise KeyringError("keyring spec is empty")
    return keys


def _check_kek_id(kek_id: str, where: str = "KEK id") -> None:
    # Ids go into sealed blobs with a u8 length and into logs: keep them short and printable.
    if not _KEK_ID_RE.fullmatch(kek_id):
        raise KeyringError(f"{where}: KEK id must match {_KEK_ID_RE.pattern}")


def new_data_key() -> bytes:
    """A fresh random 256-bit DEK; use one per object."""
    return os.urandom(KEY_SIZE)


def _aead(dek: bytes) -> AESGCM:
    # A wrong-length key is a caller bug, not a refused ciphertext.
    if len(dek) != KEY_SIZE:
        raise ValueError(f"data key must be {KEY_SIZE} bytes")
    return AESGCM(dek)


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK_SIZE}")


# --------------------------------------------------------------------------------------------
# Streaming content encryption
# --------------------------------------------------------------------------------------------


class StreamEncryptor:
    """Incremental encryptor. Output = ``header() + update(...)... + finalize()``.

    Holds at most one chunk: a full chunk is kept back until more data arrives, because only then
    is it known not to be the last one.
    """

    def __init__(self, dek: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        _check_chunk_size(chunk_size)
        self._aead = _aead(dek)
        self._chunk_size = chunk_size
        self._prefix = os.urandom(_PREFIX_SIZE)
        self._header = _HEADER.pack(_MAGIC, _VERSION, chunk_size, self._prefix)
        self._buf = bytearray()
        self._index = 0
        self._done = False

    def header(self) -> bytes:
        return self._header

    def _seal(self, chunk: bytes | bytearray | memoryview, final: bool) -> bytes:
        if self._index >= _MAX_CHUNKS:
            raise ValueError("content too large for this chunk size")
        nonce = self._prefix + struct.pack(">IB", self._index, 1 if final else 0)
        self._index += 1
        return self._aead.encrypt(nonce, chunk, self._header)

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Buffer ``data``; return the ciphertext of chunks now known to be non-final."""
        if self._done:
            raise ValueError("encryptor already finalized")
        cs = self._chunk_size
        view = memoryview(data).cast("B")
        out: list[bytes] = []
        pos = 0
        if self._buf:
            pos = min(cs - len(self._buf), len(view))
            self._buf += view[:pos]
            if pos == len(view):
                return b""
            out.append(self._seal(self._buf, final=False))
            self._buf.clear()
        # Strictly more than a chunk left: this chunk is not the last one.
        while len(view) - pos > cs:
            out.append(self._seal(view[pos : pos + cs], final=False))
            pos += cs
        self._buf += view[pos:]
        return b"".join(out)

    def finalize(self) -> bytes:
        """Return the final record (possibly an empty chunk's tag only)."""
        if self._done:
            raise ValueError("encryptor already finalized")
        self._done = True
        out = self._seal(self._buf, final=True)
        self._buf.clear()
        return out


class StreamDecryptor:
    """Incremental decryptor; returns plaintext only of chunks that authenticated.

    Plaintext of earlier chunks is released before later tampering can be detected; consumers that
    need all-or-nothing must buffer or check a digest before acting on the content.
    """

    def __init__(self, dek: bytes) -> None:
        self._aead = _aead(dek)
        self._buf = bytearray()
        self._header: bytes | None = None
        self._prefix = b""
        self._record_size = 0
        self._index = 0
        self._done = False

    def _fail(self) -> DecryptionError:
        # Poison the decryptor: no further output after any refusal.
        self._done = True
        self._buf.clear()
        return DecryptionError()

    def _read_header(self) -> None:
        magic, version, chunk_size, prefix = _HEADER.unpack(self._buf[:HEADER_SIZE])
        if magic != _MAGIC or version != _VERSION or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise self._fail()
        self._header = bytes(self._buf[:HEADER_SIZE])
        self._prefix = prefix
        self._record_size = chunk_size + TAG_SIZE
        del self._buf[:HEADER_SIZE]

    def _open(self, record: bytes | bytearray | memoryview, final: bool) -> bytes:
        if self._index >= _MAX_CHUNKS:
            raise self._fail()
        nonce = self._prefix + struct.pack(">IB", self._index, 1 if final else 0)
        try:
            out = self._aead.decrypt(nonce, record, self._header)
        except InvalidTag:
            raise self._fail() from None
        self._index += 1
        return out

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._done:
            raise DecryptionError
        view = memoryview(data).cast("B")
        pos = 0
        if self._header is None:
            pos = min(HEADER_SIZE - len(self._buf), len(view))
            self._buf += view[:pos]
            view = view[pos:]
            pos = 0
            if len(self._buf) < HEADER_SIZE:
                return b""
            self._read_header()
        rs = self._record_size
        out: list[bytes] = []
        if self._buf:
            pos = min(rs - len(self._buf), len(view))
            self._buf += view[:pos]
            if pos == len(view):
                return b""
            out.append(self._open(self._buf, final=False))
            self._buf.clear()
        # A full record followed by more bytes cannot be the final one.
        while len(view) - pos > rs:
            out.append(self._open(view[pos : pos + rs], final=False))
            pos += rs
        self._buf += view[pos:]
        return b"".join(out)

    def finalize(self) -> bytes:
        """Authenticate the final record; refuses a stream that ended without one."""
        if self._done:
            raise DecryptionError
        if self._header is None or len(self._buf) < TAG_SIZE:
            raise self._fail()
        out = self._open(self._buf, final=True)
        self._done = True
        self._buf.clear()
        return out


async def encrypt_stream(
    source: AsyncIterable[bytes], dek: bytes, chunk_size: int = CHUNK_SIZE
) -> AsyncIterator[bytes]:
    """Encrypt an async byte stream; yields the header first, then records."""
    enc = StreamEncryptor(dek, chunk_size)
    yield enc.header()
    async for data in source:
        out = enc.update(data)
        if out:
            yield out
    yield enc.finalize()


async def decrypt_stream(source: AsyncIterable[bytes], dek: bytes) -> AsyncIterator[bytes]:
    """Decrypt an async stream chunk by chunk; raises :class:`DecryptionError` on refusal.

    Each yielded piece has authenticated, but tampering later in the object is only found after
    earlier pieces were yielded: verify a digest before treating the whole object as valid.
    """
    dec = StreamDecryptor(dek)
    async for data in source:
        out = dec.update(data)
        if out:
            yield out
    out = dec.finalize()
    if out:
        yield out


def encrypt_bytes(data: bytes, dek: bytes, chunk_size: int = CHUNK_SIZE) -> bytes:
    enc = StreamEncryptor(dek, chunk_size)
    return enc.header() + enc.update(data) + enc.finalize()


def decrypt_bytes(blob: bytes, dek: bytes) -> bytes:
    dec = StreamDecryptor(dek)
    return dec.update(blob) + dec.finalize()


def ciphertext_length(plaintext_length: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Exact size of the encrypted object for a plaintext of ``plaintext_length`` bytes."""
    if plaintext_length < 0:
        raise ValueError("plaintext_length must be >= 0")
    _check_chunk_size(chunk_size)
    chunks = max(1, -(-plaintext_length // chunk_size))
    return HEADER_SIZE + plaintext_length + chunks * TAG_SIZE


# --------------------------------------------------------------------------------------------
# Small-field sealing and blind index
# --------------------------------------------------------------------------------------------


def seal(keyring: Keyring, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt a small personal field for a DB column.

    Envelope per field, so it works with any :class:`Keyring` (including a KMS that never
    releases KEKs) and rotation can re-wrap without touching the ciphertext. Blob::

        b"MRS1" | len u8 | kek_id | len u16 BE | wrapped DEK | nonce (12) | ciphertext || tag

    ``context`` (e.g. ``b"ingest.patient"``) is AAD: a blob copied to another column is refused.
    """
    dek = new_data_key()
    wrapped = keyring.wrap(dek)
    kek_id = wrapped.kek_id.encode()
    if not 0 < len(kek_id) < 256 or len(wrapped.wrapped) >= 2**16:
        raise KeyringError("wrapped key does not fit the sealed-field format")
    nonce = os.urandom(_NONCE_SIZE)
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
        nonce = blob[pos : pos + _NONCE_SIZE]
        body = blob[pos + _NONCE_SIZE :]
        if len(kek_id) != id_len or len(wrapped) != w_len or len(body) < TAG_SIZE:
            raise DecryptionError
    except (IndexError, struct.error, UnicodeDecodeError):
        raise DecryptionError from None
    dek = keyring.unwrap(WrappedKey(kek_id, wrapped))
    try:
        return _aead(dek).decrypt(nonce, body, _SEAL_MAGIC + context)
    except (InvalidTag, ValueError):
        raise DecryptionError from None


def blind_index(key: bytes, value: str) -> str:
    """Keyed lookup hash: hex HMAC-SHA256 of ``value`` (UTF-8) under ``key``.

    No normalisation happens here; callers normalise first so equal values hash equally (for an
    RRN: strip whitespace and remove '-'). ``key`` is a dedicated secret (not a KEK), >= 32 bytes.
    """
    if len(key) < KEY_SIZE:
        raise ValueError(f"blind index key must be at least {KEY_SIZE} bytes")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# Rotation: re-wrap data keys under the active KEK without touching content
# --------------------------------------------------------------------------------------------


def rewrap(keyring: Keyring, wrapped: WrappedKey) -> WrappedKey:
    """The same data key, wrapped by the active KEK (content stays as it is)."""
    return keyring.wrap(keyring.unwrap(wrapped))


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


class FileKeyring(Keyring):
    """KEKs from a JSON file `{"active": id, "keys": {id: base64}}`, re-read when it changes,
    so an operator rotates keys without a restart (a Kubernetes Secret volume updates in place).
    Checked at most once a second; a file that fails to parse keeps the last good keyring."""

    def __init__(self, path: Path, *, check_every: float = 1.0) -> None:
        self.path = path
        self.check_every = check_every
        self._checked = 0.0
        self._version: tuple[int, int, int] | None = None
        self._keyring = self._load()

    def _load(self) -> LocalKeyring:
        # The version is taken from the very file read: a replacement between reading and a
        # later stat would pass for the version loaded and never be picked up. The inode
        # tells apart two replacements (write + rename) within one mtime tick.
        with self.path.open("rb") as file:
            version = _file_version(os.fstat(file.fileno()))
            active, keys = parse_keyring_file(file.read())
        keyring = LocalKeyring(keys, active)
        self._version = version
        return keyring

    def _current(self, *, now_anyway: bool = False) -> LocalKeyring:
        now = time.monotonic()
        if now_anyway or now - self._checked >= self.check_every:
            self._checked = now
            try:
                if _file_version(self.path.stat()) != self._version:
                    self._keyring = self._load()
            except (OSError, ValueError, KeyError, KeyringError):
                pass  # keep serving with the last good keyring; the operator sees the file
        return self._keyring

    @property
    def active_kek_id(self) -> str:
        return self._current().active_kek_id

    def wrap(self, dek: bytes) -> WrappedKey:
        return self._current().wrap(dek)

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        keyring = self._current()
        if wrapped.kek_id not in keyring.kek_ids():
            # Another process may have read a newer file and wrapped with a key added to it
            # moments ago: look at the file now rather than at the next check.
            keyring = self._current(now_anyway=True)
        return keyring.unwrap(wrapped)

    def kek_ids(self) -> list[str]:
        return self._current().kek_ids()

    def __repr__(self) -> str:
        return f"FileKeyring({self.path}, kek_ids={self.kek_ids()!r})"


def parse_keyring_file(content: bytes | str) -> tuple[str, dict[str, bytes]]:
    """The active id and the KEKs of a keyring file ``{"active": id, "keys": {id: base64}}``."""
    try:
        document = json.loads(content)
        active, entries = str(document["active"]), dict(document["keys"])
    except (ValueError, KeyError, TypeError):
        # No detail: the parser's message could quote the file, keys included.
        raise KeyringError('keyring file is not {"active": id, "keys": {id: base64}}') from None
    keys = {}
    for kek_id, b64 in entries.items():
        try:
            keys[str(kek_id)] = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise KeyringError(f"KEK {kek_id!r}: key is not valid base64") from None
    return active, keys


def _file_version(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def keyring_from_settings(spec: str | None, active: str | None, file: Path | None) -> Keyring:
    """A keyring file when one is configured (rotation without restarts), else the env spec."""
    if file is not None:
        return FileKeyring(file)
    if not spec or not active:
        raise KeyringError("configure a keyring file or a key spec with its active id")
    return LocalKeyring.from_spec(spec, active)
