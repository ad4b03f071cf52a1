"""Streaming multipart uploads with several parts in flight, so a large object goes at the
store's speed rather than one part's round trip.

Memory stays at about `parts_in_flight + 1` parts. On any error or cancellation every part in
flight settles, then the upload is aborted (or the object removed, if its completion landed as
the caller failed): no object and no upload remain. minio's low-level multipart calls
(`_create_multipart_upload`, `_upload_part`, `_complete_multipart_upload`,
`_abort_multipart_upload`) are stable since minio 7.0.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from minio.datatypes import Part
from minio.error import S3Error

if TYPE_CHECKING:
    from medrec_shared.platform.storage import ObjectStore

MIN_PART_SIZE = 5 * 1024 * 1024  # S3 minimum for every part but the last
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000

T = TypeVar("T")


class StorageError(Exception):
    """Base class of object-store errors (re-exported by `medrec_shared.platform.storage`)."""


async def put_stream(
    store: ObjectStore,
    bucket: str,
    key: str,
    chunks: AsyncIterable[bytes],
    *,
    content_type: str,
    part_size: int,
    parts_in_flight: int,
) -> int:
    """Uploads a stream of unknown length; returns the number of bytes written. A stream
    shorter than one part is a single PUT."""
    if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be in {MIN_PART_SIZE}..{MAX_PART_SIZE}")
    upload = MultipartUpload(store, bucket, key, content_type)
    pending: list[bytes] = []  # the next part's pieces, not yet joined
    size = total = 0
    try:
        async for data in chunks:
            pending.append(data)
            size += len(data)
            total += len(data)
            while size >= part_size:
                # Room first, then one copy into the part: memory stays at the parts in
                # flight plus one part's pieces.
                await upload.wait_for_room(parts_in_flight)
                last = pending.pop()
                cut = len(last) - (size - part_size)
                part = b"".join([*pending, last[:cut]])
                pending = [last[cut:]] if cut < len(last) else []
                size -= part_size
                await upload.part(part)
                del part, last
        rest = b"".join(pending)
        pending.clear()
        if upload.upload_id is None:
            await upload.step("commit", store._put_small, bucket, key, rest, content_type)
            return total
        if rest:
            await upload.wait_for_room(parts_in_flight)
            await upload.part(rest)
        del rest
        await upload.complete()
        return total
    except BaseException as exc:
        try:
            await asyncio.shield(upload.clean_up())
        except Exception as cleanup_exc:  # keep the original error primary
            exc.add_note(f"object store cleanup also failed: {cleanup_exc!r}")
        raise


class MultipartUpload:
    """One upload: its id, its parts in flight, and what to undo on failure."""

    def __init__(self, store: ObjectStore, bucket: str, key: str, content_type: str) -> None:
        self.store = store
        self.bucket = bucket
        self.key = key
        self.content_type = content_type
        self.upload_id: str | None = None
        self.etags: dict[int, str] = {}
        self.numbered = 0
        self.running: set[asyncio.Future[Any]] = set()
        self.pending: asyncio.Future[Any] | None = None
        self.stage = ""  # what `pending` does: "create" | "commit" (a single put or completion)
        self.committed = False

    async def step(self, stage: str, fn: Callable[..., T], *args: Any) -> T:
        """A call that must settle even if we are cancelled (its thread runs on regardless)."""
        self.stage = stage
        self.pending = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        result: T = await asyncio.shield(self.pending)
        self.pending = None
        if stage == "commit":
            self.committed = True
        return result

    async def wait_for_room(self, in_flight: int) -> None:
        while len(self.running) >= in_flight:
            done, self.running = await asyncio.wait(
                self.running, return_when=asyncio.FIRST_COMPLETED
            )
            for finished in done:
                finished.result()  # a failed part fails the upload

    async def part(self, data: bytes) -> None:
        """Starts sending a part (after `wait_for_room`); returns while it is in flight."""
        client = self.store.client
        if self.upload_id is None:
            headers = {"Content-Type": self.content_type}
            self.upload_id = await self.step(
                "create", client._create_multipart_upload, self.bucket, self.key, headers
            )
        if self.numbered >= MAX_PARTS:
            raise StorageError("object exceeds the S3 part limit; raise part_size")
        self.numbered += 1
        self.running.add(asyncio.ensure_future(self._send(self.numbered, data)))

    async def _send(self, number: int, data: bytes) -> None:
        assert self.upload_id is not None
        self.etags[number] = await asyncio.to_thread(
            self.store._upload_part, self.bucket, self.key, data, self.upload_id, number,
        )  # fmt: skip

    async def complete(self) -> None:
        await asyncio.gather(*self.running)  # on a failure, clean_up waits for the others
        self.running = set()
        parts = [Part(number, self.etags[number]) for number in sorted(self.etags)]
        await self.step(
            "commit", self.store.client._complete_multipart_upload, self.bucket, self.key,
            self.upload_id, parts,
        )  # fmt: skip

    async def clean_up(self) -> None:
        settling = [*self.running, *([self.pending] if self.pending is not None else [])]
        if settling:
            await asyncio.wait(settling)  # threads cannot be stopped: let them land first
        for future in self.running:
            if not future.cancelled():
                future.exception()  # retrieved: the error that matters is the caller's
        pending = self.pending
        if pending is not None and not pending.cancelled() and pending.exception() is None:
            if self.stage == "create":  # the upload was created as we failed
                self.upload_id = pending.result()
            elif self.stage == "commit":
                self.committed = True
        if self.committed:  # the object landed although the caller failed: it must not stay
            await self.store.delete(self.bucket, self.key)
        elif self.upload_id is not None:
            try:
                await asyncio.to_thread(
                    self.store.client._abort_multipart_upload, self.bucket, self.key,
                    self.upload_id,
                )  # fmt: skip
            except S3Error as exc:
                if exc.code != "NoSuchUpload":
                    raise
