"""Content into and out of a bucket: encrypted on the fly with a fresh data key, digested while
it passes, in constant memory whatever its size. The wrapped key goes to the owner's database."""

import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from medrec_shared.crypto import (
    Keyring,
    StreamEncryptor,
    WrappedKey,
    decrypt_stream,
    new_data_key,
)
from medrec_shared.storage import DEFAULT_PART_SIZE, ObjectStore


@dataclass(frozen=True)
class StoredContent:
    object_key: str
    kek_id: str
    wrapped_dek: bytes
    size: int
    sha256: str


class Digest(Protocol):
    """A running SHA-256 (`hashlib.sha256()`)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class Vault:
    def __init__(self, store: ObjectStore, bucket: str, keyring: Keyring) -> None:
        self.store = store
        self.bucket = bucket
        self.keyring = keyring

    async def put(
        self,
        object_key: str,
        plaintext: AsyncIterable[bytes],
        *,
        part_size: int = DEFAULT_PART_SIZE,
        digested: Digest | None = None,
    ) -> StoredContent:
        """Encrypts and uploads; on any failure no object remains (the upload is aborted).

        ``part_size`` is the multipart part size (memory is about two parts); raise it for objects
        beyond 10,000 default parts. ``digested`` is the SHA-256 the caller already keeps of the
        same plaintext, by the time it has all passed; the content is then not hashed twice (a
        second pass was 8% of ingest's CPU on a 1 GiB upload)."""
        dek = new_data_key()
        encryptor = StreamEncryptor(dek)
        digest = digested or hashlib.sha256()
        size = 0

        async def ciphertext() -> AsyncIterator[bytes]:
            nonlocal size
            yield encryptor.header()
            async for chunk in plaintext:
                size += len(chunk)
                if digested is None:
                    digest.update(chunk)
                out = encryptor.update(chunk)
                if out:
                    yield out
            yield encryptor.finalize()

        await self.store.put_stream(self.bucket, object_key, ciphertext(), part_size=part_size)
        wrapped = self.keyring.wrap(dek)
        return StoredContent(object_key, wrapped.kek_id, wrapped.wrapped, size, digest.hexdigest())

    async def get(self, object_key: str, kek_id: str, wrapped_dek: bytes) -> AsyncIterator[bytes]:
        dek = self.keyring.unwrap(WrappedKey(kek_id, wrapped_dek))
        async for chunk in decrypt_stream(self.store.get_stream(self.bucket, object_key), dek):
            yield chunk

    async def delete(self, object_key: str) -> None:
        await self.store.delete(self.bucket, object_key)
