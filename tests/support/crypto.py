"""Crypto helpers only tests use: the async encrypting stream, the exact ciphertext size and a
keyring with one fresh KEK. Built on the library's own encryptor, so what they produce is what
the services store."""

import os
from collections.abc import AsyncIterable, AsyncIterator

from medrec_shared.platform.crypto import (
    CHUNK_SIZE,
    HEADER_SIZE,
    KEY_SIZE,
    TAG_SIZE,
    LocalKeyring,
    StreamEncryptor,
)
from medrec_shared.platform.crypto.stream import check_chunk_size


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


def ciphertext_length(plaintext_length: int, chunk_size: int = CHUNK_SIZE) -> int:
    """Exact size of the encrypted object for a plaintext of ``plaintext_length`` bytes."""
    if plaintext_length < 0:
        raise ValueError("plaintext_length must be >= 0")
    check_chunk_size(chunk_size)
    chunks = max(1, -(-plaintext_length // chunk_size))
    return HEADER_SIZE + plaintext_length + chunks * TAG_SIZE


def generate_keyring(kek_id: str = "kek-dev") -> LocalKeyring:
    """A keyring with one fresh random KEK."""
    return LocalKeyring({kek_id: os.urandom(KEY_SIZE)}, kek_id)
