"""Key-encryption keys (KEKs): the :class:`Keyring` port and the keyrings medrec runs with.

A data key is stored only wrapped (:class:`WrappedKey`: the KEK id and the encrypted DEK) in the
owning service's database. :class:`LocalKeyring` holds KEKs in memory (from a settings spec),
:class:`FileKeyring` re-reads them from a file an operator edits, so keys rotate without a
restart; :func:`rewrap` moves a data key to the active KEK without touching the content.

Wrapped bytes are ``nonce (12) || AES-256-GCM(kek, dek, aad=b"medrec.kek-wrap.v1|" + kek_id)``;
they sit in databases for decades and must not change by a single byte.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from medrec_shared.platform.crypto.aead import KEY_SIZE, NONCE_SIZE, TAG_SIZE
from medrec_shared.platform.crypto.errors import DecryptionError, KeyringError

__all__ = [
    "FileKeyring",
    "Keyring",
    "LocalKeyring",
    "WrappedKey",
    "keyring_from_settings",
    "parse_key_spec",
    "parse_keyring_file",
    "rewrap",
]

_WRAP_AAD = b"medrec.kek-wrap.v1|"
_KEK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


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


def rewrap(keyring: Keyring, wrapped: WrappedKey) -> WrappedKey:
    """The same data key, wrapped by the active KEK (content stays as it is)."""
    return keyring.wrap(keyring.unwrap(wrapped))


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
        nonce = os.urandom(NONCE_SIZE)
        aad = _WRAP_AAD + self._active.encode()
        return WrappedKey(self._active, nonce + self._keys[self._active].encrypt(nonce, dek, aad))

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        aead = self._keys.get(wrapped.kek_id)
        if aead is None:
            raise KeyringError(f"unknown or retired KEK id {wrapped.kek_id!r}")
        blob = wrapped.wrapped
        if len(blob) < NONCE_SIZE + TAG_SIZE:
            raise DecryptionError
        try:
            aad = _WRAP_AAD + wrapped.kek_id.encode()
            return aead.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
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
