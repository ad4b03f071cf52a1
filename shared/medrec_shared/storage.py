"""S3 object store over the (synchronous) minio client, streaming both ways in bounded memory.

minio calls run in worker threads (``asyncio.to_thread``). Uploads of unknown length use S3
multipart directly (minio's low-level ``_create_multipart_upload`` / ``_upload_part`` /
``_complete_multipart_upload`` / ``_abort_multipart_upload``, stable since minio 7.0) so that
memory stays at about one part and a failed or cancelled upload is always aborted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

__all__ = ["MIN_PART_SIZE", "ObjectNotFound", "ObjectStore", "StorageError"]

MIN_PART_SIZE = 5 * 1024 * 1024  # S3 minimum for every part but the last
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
DEFAULT_PART_SIZE = 8 * 1024 * 1024
DEFAULT_READ_CHUNK = 1024 * 1024

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"})

T = TypeVar("T")


class StorageError(Exception):
    """Base class of object-store errors raised by this module."""


class ObjectNotFound(StorageError):
    """The bucket or key does not exist."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"object not found: {bucket}/{key}")
        self.bucket = bucket
        self.key = key


class ObjectStore:
    """Async facade over one S3 endpoint. Safe to share: minio's pool is thread-safe."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
    ) -> None:
        if "://" in endpoint:
            raise ValueError("endpoint is host:port; use ObjectStore.from_url for URLs")
        self.endpoint = endpoint
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        # Readiness probes must answer fast: no retries, short timeouts.
        self._probe = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=2, read=5), retries=False, maxsize=1
            ),
        )

    @classmethod
    def from_url(
        cls, url: str, access_key: str, secret_key: str, *, region: str = "us-east-1"
    ) -> ObjectStore:
        """``http://host:port`` or ``https://host:port``; the scheme decides TLS."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("object store URL must be http(s)://host[:port]")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("object store URL must not have a path, query or fragment")
        return cls(
            parts.netloc, access_key, secret_key, secure=parts.scheme == "https", region=region
        )

    def __repr__(self) -> str:  # no credentials
        return f"ObjectStore(endpoint={self.endpoint!r})"

    @property
    def client(self) -> Minio:
        """The underlying synchronous client, for admin tasks and tests."""
        return self._client

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- buckets / health ----------------------------------------------------------------------

    async def ensure_bucket(self, bucket: str) -> None:
        if await self._run(self._client.bucket_exists, bucket):
            return
        try:
            await self._run(self._client.make_bucket, bucket)
        except S3Error as exc:
            # Another process may have created it in between.
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def ping(self) -> bool:
        """Readiness: True when the endpoint answers an authenticated bucket listing."""
        try:
            await self._run(self._probe.list_buckets)
        except Exception:
            return False
        return True

    # -- writes --------------------------------------------------------------------------------

    async def put_stream(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = "application/octet-stream",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> int:
        """Upload a stream of unknown length; returns the number of bytes written.

        Memory: the pending part plus the part being sent (~2 x part_size). Small streams
        (< one part) are a single PUT. Larger ones are a multipart upload that is
        aborted on any exception or cancellation (after the in-flight part has settled, so no part
        lands after the abort); the error is then re-raised and no object exists.
        """
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(f"part_size must be in {MIN_PART_SIZE}..{MAX_PART_SIZE}")
        buf = bytearray()
        total = 0
        upload_id: str | None = None
        parts: list[Part] = []
        inflight: asyncio.Future[Any] | None = None
        stage = ""  # what `inflight` is doing: "create" | "part" | "commit"

        async def step(what: str, fn: Callable[..., T], *args: Any) -> T:
            # shield: on cancellation the worker thread keeps running; cleanup waits for it.
            nonlocal inflight, stage
            stage = what
            inflight = asyncio.ensure_future(self._run(fn, *args))
            result: T = await asyncio.shield(inflight)
            inflight = None
            return result

        try:
            async for data in chunks:
                buf += data
                total += len(data)
                while len(buf) >= part_size:
                    if upload_id is None:
                        headers = {"Content-Type": content_type}
                        upload_id = await step(
                            "create", self._client._create_multipart_upload, bucket, key, headers
                        )
                    if len(parts) >= MAX_PARTS:
                        raise StorageError("object exceeds the S3 part limit; raise part_size")
                    with memoryview(buf) as view:  # one copy, not two
                        part = bytes(view[:part_size])
                    del buf[:part_size]
                    n = len(parts) + 1
                    etag = await step("part", self._upload_part, bucket, key, part, upload_id, n)
                    parts.append(Part(n, etag))
                    del part
            if upload_id is None:
                await step("commit", self._put_small, bucket, key, bytes(buf), content_type)
                return total
            if buf:
                n = len(parts) + 1
                last = bytes(buf)
                buf.clear()
                etag = await step("part", self._upload_part, bucket, key, last, upload_id, n)
                parts.append(Part(n, etag))
            await step(
                "commit", self._client._complete_multipart_upload, bucket, key, upload_id, parts
            )
            return total
        except BaseException as exc:
            try:
                await asyncio.shield(self._cleanup(bucket, key, upload_id, inflight, stage))
            except Exception as cleanup_exc:  # keep the original error primary
                exc.add_note(f"object store cleanup also failed: {cleanup_exc!r}")
            raise

    async def _cleanup(
        self,
        bucket: str,
        key: str,
        upload_id: str | None,
        inflight: asyncio.Future[Any] | None,
        stage: str,
    ) -> None:
        settled_ok = False
        if inflight is not None:
            await asyncio.wait([inflight])
            settled_ok = not inflight.cancelled() and inflight.exception() is None
        if stage == "create" and settled_ok:
            upload_id = inflight.result() if inflight is not None else None
        if stage == "commit" and settled_ok:
            # The commit landed although the caller failed (cancelled): remove it, since the
            # caller will not record the object.
            await self.delete(bucket, key)
        elif upload_id is not None:
            try:
                await self._run(self._client._abort_multipart_upload, bucket, key, upload_id)
            except S3Error as exc:
                if exc.code != "NoSuchUpload":
                    raise

    def _upload_part(self, bucket: str, key: str, data: bytes, upload_id: str, number: int) -> str:
        return self._client._upload_part(bucket, key, data, None, upload_id, number)

    def _put_small(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self._client._put_object(bucket, key, data, {"Content-Type": content_type})

    async def put_bytes(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> int:
        await self._run(self._put_small, bucket, key, bytes(data), content_type)
        return len(data)

    async def delete(self, bucket: str, key: str) -> None:
        """Idempotent: a missing key is not an error."""
        try:
            await self._run(self._client.remove_object, bucket, key)
        except S3Error as exc:
            if exc.code != "NoSuchKey":
                raise

    # -- reads ---------------------------------------------------------------------------------

    async def get_stream(
        self, bucket: str, key: str, *, chunk_size: int = DEFAULT_READ_CHUNK
    ) -> AsyncIterator[bytes]:
        """Yield the object in pieces of at most ``chunk_size``; raises ObjectNotFound."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        try:
            response = await self._run(self._client.get_object, bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectNotFound(bucket, key) from None
            raise
        try:
            while True:
                data = await self._run(response.read, chunk_size)
                if not data:
                    break
                yield data
        finally:
            response.close()
            response.release_conn()

    async def get_bytes(self, bucket: str, key: str) -> bytes:
        return b"".join([piece async for piece in self.get_stream(bucket, key)])

    async def size(self, bucket: str, key: str) -> int | None:
        """Object size in bytes, or None if it does not exist."""
        try:
            stat = await self._run(self._client.stat_object, bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return None
            raise
        return stat.size

    async def exists(self, bucket: str, key: str) -> bool:
        return await self.size(bucket, key) is not None
