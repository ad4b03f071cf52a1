"""Content into and out of a bucket: encrypted on the fly with a fresh data key, digested while
it passes, in constant memory whatever its size. The wrapped key goes to the owner's database."""

import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

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
    ) -> StoredContent:
        """Encrypts and uploads; on any failure no object remains (the upload is aborted).

        ``part_size`` is the multipart part size (memory is about two parts); raise it for objects
        beyond 10,000 default parts."""
        dek = new_data_key()
        encryptor = StreamEncryptor(dek)
        digest = hashlib.sha256()
        size = 0

        async def ciphertext() -> AsyncIterator[bytes]:
            nonlocal size
            yield encryptor.header()
            async for chunk in plaintext:
                size += len(chunk)
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
