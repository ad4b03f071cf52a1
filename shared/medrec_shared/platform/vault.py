"""Content into and out of a bucket: encrypted on the fly with a fresh data key, digested while
it passes, in constant memory whatever its size. The wrapped key goes to the owner's database.

Small contents that arrive together can share one object, a segment (crypto/segment.py): each
still has its own data key and is read back by its span, with one ranged GET."""

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from medrec_shared.platform.crypto import (
    Keyring,
    Span,
    StreamEncryptor,
    WrappedKey,
    concatenate,
    decrypt_stream,
    new_data_key,
    pack,
)
from medrec_shared.platform.storage import DEFAULT_PART_SIZE, ObjectStore, StoreRefused

# A plaintext piece sealed at once: its records must fit the room a part keeps
# (`multipart.MAX_RESERVE`), a record's worth more than this at most.
_SLICE = 512 * 1024
_NOTHING = memoryview(b"")


@dataclass(frozen=True)
class StoredContent:
    object_key: str
    kek_id: str
    wrapped_dek: bytes
    size: int
    sha256: str
    span: Span | None = None  # where it is in its segment; None: the whole object


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

        ``part_size`` is the multipart part size (memory: the store's parts in flight and one
        more, each buffer reused; the records are sealed into it in place); raise it for objects
        beyond 10,000 default parts. ``digested`` is the SHA-256 the caller already keeps of the
        same plaintext, by the time it has all passed; the content is then not hashed twice (a
        second pass was 8% of ingest's CPU on a 1 GiB upload)."""
        dek = new_data_key()
        encryptor = StreamEncryptor(dek)
        digest = digested or hashlib.sha256()
        size = 0
        async with self.store.upload(self.bucket, object_key, part_size=part_size) as upload:
            await upload.write(encryptor.header())
            async for chunk in plaintext:
                size += len(chunk)
                if digested is None:
                    digest.update(chunk)
                view = memoryview(chunk)
                for start in range(0, len(view), _SLICE):
                    piece = view[start : start + _SLICE]
                    # Sealed straight into the part (a copy and a join less per record).
                    need = encryptor.bound(len(piece))
                    out = await upload.room(need) if need else _NOTHING
                    upload.wrote(encryptor.update_into(piece, out))
            await upload.write(encryptor.finalize())
        wrapped = self.keyring.wrap(dek)
        return StoredContent(object_key, wrapped.kek_id, wrapped.wrapped, size, digest.hexdigest())

    async def put_whole(self, object_key: str, content: bytes, sha256: str) -> StoredContent:
        """Content a request holds whole (an inline record) into an object of its own, in one
        PUT on the loop: the same format as `put` writes, without its stream machinery.
        ``sha256`` is the caller's digest of ``content`` (validated by it already), not
        computed again. Like `put`, it leaves no object when it fails: an interrupted PUT
        (cancelled, the connection lost) may have landed, so its key is deleted."""
        dek = new_data_key()
        encryptor = StreamEncryptor(dek)
        sealed = b"".join((encryptor.header(), encryptor.update(content), encryptor.finalize()))
        try:
            await self.store.put_bytes(self.bucket, object_key, sealed)
        except BaseException as exc:
            if not isinstance(exc, StoreRefused):  # a refusal stored nothing
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.store.delete(self.bucket, object_key))
            raise
        wrapped = self.keyring.wrap(dek)
        return StoredContent(object_key, wrapped.kek_id, wrapped.wrapped, len(content), sha256)

    async def put_segment(
        self, object_key: str, contents: Sequence[tuple[bytes, str]]
    ) -> list[StoredContent]:
        """Encrypts each content under a data key of its own into one object (one PUT, in
        memory: for contents a request already holds); returns each one's place, in order.
        ``contents`` are ``(content, its SHA-256 in hex)``: the caller has validated each one
        by its digest already, so it is not computed again."""
        deks = [new_data_key() for _ in contents]
        segment, spans = pack(zip(deks, (c for c, _ in contents), strict=True))
        await self.store.put_bytes(self.bucket, object_key, segment)
        stored = []
        for dek, (content, sha256), span in zip(deks, contents, spans, strict=True):
            wrapped = self.keyring.wrap(dek)
            place = (len(content), sha256, span)
            stored.append(StoredContent(object_key, wrapped.kek_id, wrapped.wrapped, *place))
        return stored

    async def repack(self, source_key: str, spans: Sequence[Span], target_key: str) -> list[Span]:
        """Copies these spans of a segment into a new segment, as they are (each still under its
        own data key: nothing is decrypted); returns their places in it, in order."""
        segment = await self.store.get_bytes(self.bucket, source_key)
        packed, moved = concatenate(segment[s.offset : s.offset + s.length] for s in spans)
        await self.store.put_bytes(self.bucket, target_key, packed)
        return moved

    async def get(
        self, object_key: str, kek_id: str, wrapped_dek: bytes, span: Span | None = None
    ) -> AsyncIterator[bytes]:
        """The content, decrypted as it is read; ``span`` when it is in a segment."""
        dek = self.keyring.unwrap(WrappedKey(kek_id, wrapped_dek))
        ranged = {} if span is None else {"offset": span.offset, "length": span.length}
        source = self.store.get_stream(self.bucket, object_key, **ranged)
        async for chunk in decrypt_stream(source, dek):
            yield chunk

    async def delete(self, object_key: str) -> None:
        await self.store.delete(self.bucket, object_key)
