import base64
import itertools
import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medrec_shared.platform.crypto import (
    HEADER_SIZE,
    TAG_SIZE,
    DecryptionError,
    Keyring,
    KeyringError,
    LocalKeyring,
    StreamDecryptor,
    StreamEncryptor,
    WrappedKey,
    blind_index,
    decrypt_bytes,
    decrypt_stream,
    encrypt_bytes,
    new_data_key,
    seal,
    unseal,
)
from tests.support.crypto import ciphertext_length, encrypt_stream, generate_keyring

CS = 16  # tiny chunks keep boundary tests fast
REC = CS + TAG_SIZE


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, CS - 1, CS, CS + 1, 3 * CS, 3 * CS + 5])
def test_round_trip_across_chunk_boundaries(n: int) -> None:
    dek = new_data_key()
    data = os.urandom(n)
    blob = encrypt_bytes(data, dek, chunk_size=CS)
    assert len(blob) == ciphertext_length(n, CS)
    assert decrypt_bytes(blob, dek) == data


def test_empty_content_is_one_empty_final_chunk() -> None:
    dek = new_data_key()
    blob = encrypt_bytes(b"", dek, chunk_size=CS)
    assert len(blob) == HEADER_SIZE + TAG_SIZE
    assert decrypt_bytes(blob, dek) == b""


def test_default_chunk_size_round_trip() -> None:
    dek = new_data_key()
    data = os.urandom(200_000)
    blob = encrypt_bytes(data, dek)
    assert len(blob) == ciphertext_length(len(data))
    assert decrypt_bytes(blob, dek) == data


def test_same_plaintext_encrypts_differently() -> None:
    dek = new_data_key()
    assert encrypt_bytes(b"abc", dek) != encrypt_bytes(b"abc", dek)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    chunk_size=st.integers(min_value=1, max_value=40),
    enc_cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    dec_cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=8),
)
def test_incremental_equals_one_shot(
    data: bytes, chunk_size: int, enc_cuts: list[int], dec_cuts: list[int]
) -> None:
    dek = new_data_key()
    enc = StreamEncryptor(dek, chunk_size)
    blob = enc.header() + b"".join(enc.update(p) for p in _split(data, enc_cuts)) + enc.finalize()
    assert len(blob) == ciphertext_length(len(data), chunk_size)

    dec = StreamDecryptor(dek)
    out = b"".join(dec.update(p) for p in _split(blob, dec_cuts)) + dec.finalize()
    assert out == data
    assert decrypt_bytes(blob, dek) == data


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    chunk_size=st.integers(min_value=1, max_value=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_update_into_writes_what_update_returns(
    data: bytes, chunk_size: int, cuts: list[int]
) -> None:
    """Sealing in place (the streamed upload's parts) gives the very bytes `update` gives."""
    dek = new_data_key()
    enc = StreamEncryptor(dek, chunk_size)
    into = StreamEncryptor(dek, chunk_size)
    into._prefix, into._header = enc._prefix, enc._header  # the same nonces: same bytes
    expected = enc.header() + b"".join(enc.update(p) for p in _split(data, cuts))
    written = bytearray(into.header())
    for piece in _split(data, cuts):
        room = bytearray(b"\xee" * (into.bound(len(piece)) + 3))
        size = into.update_into(piece, memoryview(room))
        assert room[size:] == b"\xee" * (len(room) - size)  # nothing past what it says
        written += room[:size]
    assert bytes(written) == expected
    assert bytes(written) + into.finalize() == expected + enc.finalize()


def test_update_buffers_at_most_one_chunk() -> None:
    dek = new_data_key()
    enc = StreamEncryptor(dek, CS)
    assert enc.update(b"x" * CS) == b""  # a full chunk is held back: it may be the last
    assert len(enc.update(b"y")) == REC
    dec = StreamDecryptor(dek)
    blob = enc.header() + enc.finalize()
    assert dec.update(blob) == b""  # the held record is only opened at finalize


async def _agen(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for p in pieces:
        yield p


async def test_async_stream_round_trip() -> None:
    dek = new_data_key()
    data = os.urandom(5 * CS + 3)
    pieces = _split(data, [3, 17, 40, 41])
    blob = b"".join([c async for c in encrypt_stream(_agen(pieces), dek, chunk_size=CS)])
    assert decrypt_bytes(blob, dek) == data
    out = b"".join([c async for c in decrypt_stream(_agen(_split(blob, [5, 50, 99])), dek)])
    assert out == data


async def test_async_decrypt_yields_only_authenticated_chunks() -> None:
    dek = new_data_key()
    data = os.urandom(4 * CS)
    blob = bytearray(encrypt_bytes(data, dek, chunk_size=CS))
    blob[HEADER_SIZE + 2 * REC + 1] ^= 1  # corrupt the third chunk
    got: list[bytes] = []
    with pytest.raises(DecryptionError):
        async for piece in decrypt_stream(_agen([bytes(blob)]), dek):
            got.append(piece)
    # Nothing is yielded from the one update() call that contained the bad chunk.
    assert b"".join(got) == b""
    got.clear()
    with pytest.raises(DecryptionError):
        async for piece in decrypt_stream(_agen(_split(bytes(blob), [HEADER_SIZE + REC + 1])), dek):
            got.append(piece)
    assert b"".join(got) == data[:CS]  # earlier, authenticated chunks only


# -- tampering ---------------------------------------------------------------------------------


@pytest.fixture
def sample() -> tuple[bytes, bytes, bytes]:
    dek = new_data_key()
    data = os.urandom(3 * CS + 7)  # 3 full chunks + a short final one
    return dek, data, encrypt_bytes(data, dek, chunk_size=CS)


def _refused(blob: bytes, dek: bytes) -> None:
    with pytest.raises(DecryptionError) as info:
        decrypt_bytes(blob, dek)
    assert str(info.value) == "decryption failed"


@pytest.mark.parametrize(
    "pos",
    [
        0,  # magic
        4,  # version
        7,  # chunk size
        HEADER_SIZE - 1,  # nonce prefix
        HEADER_SIZE,  # first chunk body
        HEADER_SIZE + REC - 1,  # first chunk tag
        HEADER_SIZE + REC + 3,  # middle chunk body
        -1,  # final chunk tag
    ],
)
def test_flipped_byte_refused(sample: tuple[bytes, bytes, bytes], pos: int) -> None:
    dek, _, blob = sample
    tampered = bytearray(blob)
    tampered[pos] ^= 0x01
    _refused(bytes(tampered), dek)


def test_every_single_bit_flip_refused() -> None:
    dek = new_data_key()
    blob = encrypt_bytes(b"0123456789abcdefXYZ", dek, chunk_size=CS)
    for i in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[i] ^= bit
            _refused(bytes(tampered), dek)


def test_truncation_refused(sample: tuple[bytes, bytes, bytes]) -> None:
    dek, _, blob = sample
    final_len = 7 + TAG_SIZE
    _refused(blob[:-final_len], dek)  # last chunk dropped: previous chunk is not marked final
    _refused(blob[:-1], dek)  # cut inside the final chunk
    _refused(blob[: HEADER_SIZE + REC + 5], dek)  # cut mid-chunk
    _refused(blob[:HEADER_SIZE], dek)  # header only
    _refused(blob[: HEADER_SIZE - 3], dek)  # partial header
    _refused(b"", dek)


def test_truncation_at_full_chunk_boundary_refused() -> None:
    dek = new_data_key()
    blob = encrypt_bytes(os.urandom(3 * CS), dek, chunk_size=CS)
    _refused(blob[:-REC], dek)
    _refused(blob[: -2 * REC], dek)


def test_swapped_chunks_refused(sample: tuple[bytes, bytes, bytes]) -> None:
    dek, _, blob = sample
    h = blob[:HEADER_SIZE]
    r0, r1, r2 = (blob[HEADER_SIZE + i * REC : HEADER_SIZE + (i + 1) * REC] for i in range(3))
    rest = blob[HEADER_SIZE + 3 * REC :]
    _refused(h + r1 + r0 + r2 + rest, dek)
    _refused(h + r0 + r0 + r2 + rest, dek)  # duplicated chunk
    _refused(h + r0 + r2 + rest, dek)  # dropped middle chunk


def test_appended_data_refused(sample: tuple[bytes, bytes, bytes]) -> None:
    dek, _, blob = sample
    for junk in (b"\x00", os.urandom(TAG_SIZE), os.urandom(REC), os.urandom(REC + 3)):
        _refused(blob + junk, dek)
    other = encrypt_bytes(b"more", dek, chunk_size=CS)
    _refused(blob + other[HEADER_SIZE:], dek)


def test_splice_between_objects_refused() -> None:
    dek = new_data_key()
    a = encrypt_bytes(os.urandom(2 * CS), dek, chunk_size=CS)
    b = encrypt_bytes(os.urandom(2 * CS), dek, chunk_size=CS)
    _refused(a[:HEADER_SIZE] + b[HEADER_SIZE:], dek)


def test_wrong_key_refused(sample: tuple[bytes, bytes, bytes]) -> None:
    _, _, blob = sample
    _refused(blob, new_data_key())


def test_decryptor_poisoned_after_refusal(sample: tuple[bytes, bytes, bytes]) -> None:
    dek, _, blob = sample
    dec = StreamDecryptor(dek)
    with pytest.raises(DecryptionError):
        dec.update(blob[:HEADER_SIZE] + b"\x00" * (2 * REC))
    with pytest.raises(DecryptionError):
        dec.update(blob[HEADER_SIZE:])
    with pytest.raises(DecryptionError):
        dec.finalize()


def test_bad_parameters() -> None:
    with pytest.raises(ValueError):
        StreamEncryptor(b"short")
    with pytest.raises(ValueError):
        StreamEncryptor(new_data_key(), chunk_size=0)
    with pytest.raises(ValueError):
        ciphertext_length(-1)
    enc = StreamEncryptor(new_data_key())
    enc.finalize()
    with pytest.raises(ValueError):
        enc.update(b"x")


def test_ciphertext_length() -> None:
    assert ciphertext_length(0, CS) == HEADER_SIZE + TAG_SIZE
    assert ciphertext_length(CS, CS) == HEADER_SIZE + CS + TAG_SIZE
    assert ciphertext_length(CS + 1, CS) == HEADER_SIZE + CS + 1 + 2 * TAG_SIZE


# -- keyring -----------------------------------------------------------------------------------


def test_keyring_wrap_unwrap_and_rotation() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    spec = f"kek-2026-01:{b64(k1)}, kek-2026-06:{b64(k2)}"
    ring = LocalKeyring.from_spec(spec, active="kek-2026-01")
    assert isinstance(ring, Keyring)
    assert ring.kek_ids() == ["kek-2026-01", "kek-2026-06"]
    dek = new_data_key()
    old = ring.wrap(dek)
    assert old.kek_id == "kek-2026-01"
    assert ring.unwrap(old) == dek

    # Rotation: new wraps use the new KEK, old wraps still open.
    rotated = LocalKeyring.from_spec(spec, active="kek-2026-06")
    new = rotated.wrap(dek)
    assert new.kek_id == "kek-2026-06"
    assert rotated.unwrap(old) == dek
    assert rotated.unwrap(new) == dek
    ring.set_active("kek-2026-06")
    assert ring.wrap(dek).kek_id == "kek-2026-06"


def test_keyring_unknown_or_retired_id_refused() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    full = LocalKeyring.from_spec(f"a:{b64(k1)},b:{b64(k2)}", active="a")
    wrapped = full.wrap(new_data_key())
    retired = LocalKeyring.from_spec(f"b:{b64(k2)}", active="b")
    with pytest.raises(KeyringError):
        retired.unwrap(wrapped)
    with pytest.raises(KeyringError):
        full.unwrap(WrappedKey("nope", wrapped.wrapped))
    with pytest.raises(KeyringError):
        full.set_active("nope")
    with pytest.raises(KeyringError):
        LocalKeyring.from_spec(f"a:{b64(k1)}", active="b")


def test_keyring_tampered_or_relabelled_wrap_refused() -> None:
    k = os.urandom(32)
    ring = LocalKeyring.from_spec(f"a:{b64(k)},b:{b64(k)}", active="a")
    wrapped = ring.wrap(new_data_key())
    bad = bytearray(wrapped.wrapped)
    bad[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.unwrap(WrappedKey("a", bytes(bad)))
    # Same key material under another id: the id is bound in as AAD.
    with pytest.raises(DecryptionError):
        ring.unwrap(WrappedKey("b", wrapped.wrapped))
    with pytest.raises(DecryptionError):
        ring.unwrap(WrappedKey("a", b"short"))


@pytest.mark.parametrize(
    "spec",
    [
        "",
        " , ",
        "kek-1:{k16}",  # wrong length
        "kek-1:{k32}!!",  # bad base64
        "{k32}",  # no id: a bare key must not be echoed
        ":{k32}",
        "kek 1:{k32}",  # bad id
        "kek-1:{k32},kek-1:{k32}",  # duplicate
    ],
)
def test_bad_spec_refused_without_key_material(spec: str) -> None:
    k32 = b64(os.urandom(32))
    k16 = b64(os.urandom(16))
    text = spec.format(k32=k32, k16=k16)
    with pytest.raises(KeyringError) as info:
        LocalKeyring.from_spec(text, active="kek-1")
    message = str(info.value)
    assert k32 not in message and k16 not in message
    assert k32[:8] not in message and k16[:8] not in message


def test_keyring_repr_hides_keys() -> None:
    key = os.urandom(32)
    ring = LocalKeyring({"kek-x": key}, "kek-x")
    assert b64(key) not in repr(ring)
    assert key.hex() not in repr(ring)
    assert "kek-x" in repr(ring)


def test_generate() -> None:
    ring = generate_keyring("kek-test")
    assert ring.active_kek_id == "kek-test"
    dek = new_data_key()
    assert len(dek) == 32 and dek != new_data_key()
    assert ring.unwrap(ring.wrap(dek)) == dek


# -- sealing and blind index ---------------------------------------------------------------------


def test_seal_round_trip_and_context() -> None:
    ring = generate_keyring("kek-a")
    blob = seal(ring, b"900101-1234567", context=b"ingest.patient")
    assert b"900101" not in blob
    assert unseal(ring, blob, context=b"ingest.patient") == b"900101-1234567"
    with pytest.raises(DecryptionError):
        unseal(ring, blob, context=b"issuance.requester")
    assert seal(ring, b"x", context=b"c") != seal(ring, b"x", context=b"c")
    assert unseal(ring, seal(ring, b"", context=b"c"), context=b"c") == b""


def test_seal_survives_rotation_and_needs_known_kek() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    ring = LocalKeyring.from_spec(f"k1:{b64(k1)},k2:{b64(k2)}", active="k1")
    blob = seal(ring, b"Hong Gildong", context=b"ingest.patient")
    ring.set_active("k2")
    assert unseal(ring, blob, context=b"ingest.patient") == b"Hong Gildong"
    with pytest.raises(KeyringError):
        unseal(generate_keyring("k2"), blob, context=b"ingest.patient")


def test_unseal_tampered_or_garbage_refused() -> None:
    ring = generate_keyring("kek-a")
    blob = seal(ring, b"secret", context=b"ctx")
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises((DecryptionError, KeyringError)):
            unseal(ring, bytes(tampered), context=b"ctx")
    for junk in (b"", b"MRS1", b"MRS1\xff", blob[:-1], blob + b"\x00"):
        with pytest.raises(DecryptionError):
            unseal(ring, junk, context=b"ctx")


def test_blind_index() -> None:
    key1, key2 = os.urandom(32), os.urandom(32)
    a = blind_index(key1, "9001011234567")
    assert a == blind_index(key1, "9001011234567")
    assert len(a) == 64 and int(a, 16) >= 0
    assert a != blind_index(key2, "9001011234567")
    assert a != blind_index(key1, "9001011234568")
    with pytest.raises(ValueError):
        blind_index(b"short", "x")
