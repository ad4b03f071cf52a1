"""Known answers for the formats kept on disk for decades: the content stream (objects in S3),
the segment (several streams in one object), the sealed field (database columns), and the
person index's keyed hash. The vectors were
written by the code before any refactor of it (vectors/stored_formats.json says which); a change
that alters a single byte written, or stops reading what was written, fails here."""

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrec_shared.platform.crypto import (
    DecryptionError,
    LocalKeyring,
    Span,
    blind_index,
    decrypt_bytes,
    encrypt_bytes,
    pack,
    seal,
    unseal,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "stored_formats.json").read_text())


def deterministic_urandom(label: str) -> Callable[[int], bytes]:
    """The randomness the vectors were written with (their "randomness" says how)."""
    counter = 0

    def urandom(n: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < n:
            out += hashlib.sha256(label.encode() + counter.to_bytes(4, "big")).digest()
            counter += 1
        return out[:n]

    return urandom


def _name(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("case", VECTORS["stream"], ids=_name)
def test_a_stored_content_stream_still_decrypts(case: dict[str, Any]) -> None:
    dek, ciphertext = bytes.fromhex(case["dek"]), bytes.fromhex(case["ciphertext"])
    assert decrypt_bytes(ciphertext, dek) == bytes.fromhex(case["plaintext"])


@pytest.mark.parametrize("case", VECTORS["stream"], ids=_name)
def test_the_content_stream_is_written_byte_for_byte_as_before(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "urandom", deterministic_urandom(case["label"]))
    written = encrypt_bytes(
        bytes.fromhex(case["plaintext"]), bytes.fromhex(case["dek"]), case["chunk_size"]
    )
    assert written.hex() == case["ciphertext"]


@pytest.mark.parametrize("case", VECTORS["segment"], ids=_name)
def test_each_record_of_a_stored_segment_still_decrypts_from_its_span_alone(
    case: dict[str, Any],
) -> None:
    segment = bytes.fromhex(case["segment"])
    for dek, plaintext, (offset, length) in zip(
        case["deks"], case["plaintexts"], case["spans"], strict=True
    ):
        assert decrypt_bytes(segment[offset : offset + length], bytes.fromhex(dek)) == (
            bytes.fromhex(plaintext)
        )


@pytest.mark.parametrize("case", VECTORS["segment"], ids=_name)
def test_a_span_under_another_records_key_or_cut_short_is_refused(case: dict[str, Any]) -> None:
    segment = bytes.fromhex(case["segment"])
    (first, _), (second, second_length) = case["spans"][0], case["spans"][1]
    with pytest.raises(DecryptionError):  # the second record's bytes, the first one's key
        decrypt_bytes(segment[second : second + second_length], bytes.fromhex(case["deks"][0]))
    with pytest.raises(DecryptionError):  # the first record's span without its last byte
        decrypt_bytes(segment[first : second - 1], bytes.fromhex(case["deks"][0]))


@pytest.mark.parametrize("case", VECTORS["segment"], ids=_name)
def test_a_segment_is_written_byte_for_byte_as_before(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "urandom", deterministic_urandom(case["label"]))
    deks = [bytes.fromhex(d) for d in case["deks"]]
    written, spans = pack(zip(deks, [bytes.fromhex(p) for p in case["plaintexts"]], strict=True))
    assert written.hex() == case["segment"]
    assert spans == [Span(offset, length) for offset, length in case["spans"]]


def _keyring(case: dict[str, Any]) -> LocalKeyring:
    return LocalKeyring({case["kek_id"]: bytes.fromhex(case["kek"])}, case["kek_id"])


@pytest.mark.parametrize("case", VECTORS["sealed"], ids=_name)
def test_a_stored_sealed_field_still_unseals(case: dict[str, Any]) -> None:
    blob = bytes.fromhex(case["sealed"])
    opened = unseal(_keyring(case), blob, context=case["context"].encode())
    assert opened == bytes.fromhex(case["plaintext"])


@pytest.mark.parametrize("case", VECTORS["sealed"], ids=_name)
def test_a_sealed_field_is_written_byte_for_byte_as_before(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "urandom", deterministic_urandom(case["label"]))
    blob = seal(_keyring(case), bytes.fromhex(case["plaintext"]), context=case["context"].encode())
    assert blob.hex() == case["sealed"]


@pytest.mark.parametrize("case", VECTORS["blind_index"], ids=lambda c: c["value"][:4])
def test_the_person_index_hash_is_unchanged(case: dict[str, Any]) -> None:
    assert blind_index(bytes.fromhex(case["key"]), case["value"]) == case["hex"]
