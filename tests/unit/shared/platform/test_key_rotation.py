"""Rotation primitives: data keys re-wrapped under a new KEK without touching content, and a
keyring file that an operator edits while services run."""

import base64
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from medrec_shared.platform.crypto import (
    FileKeyring,
    KeyringError,
    LocalKeyring,
    decrypt_bytes,
    encrypt_bytes,
    new_data_key,
    reseal,
    rewrap,
    seal,
    sealed_kek_id,
    unseal,
)


def two_keys() -> LocalKeyring:
    return LocalKeyring({"kek-1": os.urandom(32), "kek-2": os.urandom(32)}, "kek-1")


def test_rewrap_moves_a_data_key_to_the_active_kek_and_content_still_reads() -> None:
    keyring = two_keys()
    dek = new_data_key()
    blob = encrypt_bytes(b"chart" * 1000, dek)
    wrapped = keyring.wrap(dek)
    keyring.set_active("kek-2")
    moved = rewrap(keyring, wrapped)
    assert (wrapped.kek_id, moved.kek_id) == ("kek-1", "kek-2")
    assert decrypt_bytes(blob, keyring.unwrap(moved)) == b"chart" * 1000


def test_reseal_keeps_the_ciphertext_and_survives_retiring_the_old_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    keyring = LocalKeyring({"kek-1": old, "kek-2": new}, "kek-1")
    blob = seal(keyring, b"900101-1234567", context=b"ingest.patient")
    keyring.set_active("kek-2")
    moved = reseal(keyring, blob)
    assert (sealed_kek_id(blob), sealed_kek_id(moved)) == ("kek-1", "kek-2")
    assert moved[-30:] == blob[-30:], "the field's ciphertext is not re-encrypted"
    retired = LocalKeyring({"kek-2": new}, "kek-2")
    assert unseal(retired, moved, context=b"ingest.patient") == b"900101-1234567"
    with pytest.raises(KeyringError):
        unseal(retired, blob, context=b"ingest.patient")


def write(path: Path, active: str, keys: dict[str, bytes]) -> None:
    document = {
        "active": active,
        "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()},
    }
    path.write_text(json.dumps(document))
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 1))


def test_a_keyring_file_is_reread_when_the_operator_changes_it(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    k1, k2 = os.urandom(32), os.urandom(32)
    write(path, "kek-1", {"kek-1": k1})
    keyring = FileKeyring(path, check_every=0)
    before = keyring.wrap(new_data_key())
    write(path, "kek-2", {"kek-1": k1, "kek-2": k2})
    assert keyring.active_kek_id == "kek-2"
    assert keyring.wrap(new_data_key()).kek_id == "kek-2"
    keyring.unwrap(before)
    path.write_text("{not json")
    assert keyring.active_kek_id == "kek-2", "a broken file keeps the last good keyring"


def test_a_replaced_keyring_file_is_reread_even_within_one_mtime_tick(tmp_path: Path) -> None:
    path, replacement = tmp_path / "keyring.json", tmp_path / "keyring.json.new"
    k1, k2 = os.urandom(32), os.urandom(32)
    write(path, "kek-1", {"kek-1": k1})
    keyring = FileKeyring(path, check_every=0)
    assert keyring.active_kek_id == "kek-1"
    write(replacement, "kek-2", {"kek-1": k1, "kek-2": k2})
    times = path.stat()
    os.utime(replacement, ns=(times.st_atime_ns, times.st_mtime_ns))
    os.replace(replacement, path)  # as the key command writes: a new file renamed in place
    assert keyring.active_kek_id == "kek-2"


def test_a_key_unknown_to_a_keyring_file_is_looked_for_in_the_file_at_once(tmp_path: Path) -> None:
    """A process that read the file a moment later wrapped with a key added to it: this one
    unwraps at once instead of failing until its next check."""
    path = tmp_path / "keyring.json"
    k1, k2 = os.urandom(32), os.urandom(32)
    write(path, "kek-1", {"kek-1": k1})
    lagging = FileKeyring(path, check_every=3600)
    assert lagging.active_kek_id == "kek-1"  # checked now: not again for an hour
    write(path, "kek-2", {"kek-1": k1, "kek-2": k2})
    dek = new_data_key()
    wrapped = FileKeyring(path).wrap(dek)
    assert wrapped.kek_id == "kek-2" and lagging.active_kek_id == "kek-1"
    assert lagging.unwrap(wrapped) == dek
    with pytest.raises(KeyringError):
        lagging.unwrap(replace(wrapped, kek_id="kek-3"))
