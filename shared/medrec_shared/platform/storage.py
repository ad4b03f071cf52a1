"""S3 object store over the (synchronous) minio client, streaming both ways in bounded memory.

minio calls run in worker threads (``asyncio.to_thread``), except a whole object's PUT from
memory (`put_bytes`: a record, a segment), which is signed and sent on the loop itself
(`medrec_shared.platform.s3put`: no thread hop, a fraction of minio's CPU per request).
Uploads of unknown length use S3 multipart directly (`medrec_shared.platform.multipart`), so
that memory stays at a few parts and a failed or cancelled upload is always aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from medrec_shared.platform import multipart
from medrec_shared.platform.multipart import MIN_PART_SIZE, StorageError
from medrec_shared.platform.observability.metrics import OBJECT_STORE_ERRORS
from medrec_shared.platform.s3put import SmallPuts

__all__ = ["MIN_PART_SIZE", "ObjectNotFound", "ObjectStore", "StorageError", "StoreRefused"]

DEFAULT_PART_SIZE = 8 * 1024 * 1024
DEFAULT_READ_CHUNK = 1024 * 1024

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"})

T = TypeVar("T")
# What the store answers when it refused a request (and so stored nothing).
StoreRefused = (S3Error, ServerError, InvalidResponseError)


@contextlib.contextmanager
def _counted(operation: str) -> Iterator[None]:
    """Counts a failed `operation` (medrec_object_store_errors_total); an object that is not
    there is an answer, not a failure."""
    try:
        yield
    except ObjectNotFound:
        raise
    except S3Error as exc:
        if exc.code not in _MISSING_CODES:
            OBJECT_STORE_ERRORS.labels(operation).inc()
        raise
    except Exception:
        OBJECT_STORE_ERRORS.labels(operation).inc()
        raise


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
        parts_in_flight: int = 1,
    ) -> None:
        if "://" in endpoint:
            raise ValueError("endpoint is host:port; use ObjectStore.from_url for URLs")
        self.endpoint = endpoint
        self.parts_in_flight = parts_in_flight  # of one upload, sent at once
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        self._small = SmallPuts(endpoint, access_key, secret_key, secure=secure, region=region)
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
        cls,
        url: str,
        access_key: str,
        secret_key: str,
        *,
        region: str = "us-east-1",
        parts_in_flight: int = 1,
    ) -> ObjectStore:
        """``http://host:port`` or ``https://host:port``; the scheme decides TLS."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("object store URL must be http(s)://host[:port]")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("object store URL must not have a path, query or fragment")
        return cls(
            parts.netloc,
            access_key,
            secret_key,
            secure=parts.scheme == "https",
            region=region,
            parts_in_flight=parts_in_flight,
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
        with _counted("ensure_bucket"):
            if await self._run(self._client.bucket_exists, bucket):
                return
        try:
            await self._run(self._client.make_bucket, bucket)
        except S3Error as exc:
            # Another process may have created it in between.
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                OBJECT_STORE_ERRORS.labels("ensure_bucket").inc()
                raise
        except Exception:
            OBJECT_STORE_ERRORS.labels("ensure_bucket").inc()
            raise

    async def ping(self) -> bool:
        """Readiness: True when the endpoint answers an authenticated bucket listing."""
        try:
            await self._run(self._probe.list_buckets)
        except Exception:
            OBJECT_STORE_ERRORS.labels("ping").inc()
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

        Memory: about `parts_in_flight + 1` parts. Small streams (< one part) are a single PUT;
        larger ones a multipart upload that leaves nothing behind on any exception or
        cancellation (see `medrec_shared.platform.multipart`); the error is then re-raised."""
        with _counted("put"):
            return await multipart.put_stream(
                self,
                bucket,
                key,
                chunks,
                content_type=content_type,
                part_size=part_size,
                parts_in_flight=self.parts_in_flight,
            )

    @contextlib.asynccontextmanager
    async def upload(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str = "application/octet-stream",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> AsyncIterator[multipart.PartWriter]:
        """An upload of unknown length written into its parts' buffers (`PartWriter`), in
        place when the writer can: as `put_stream`, without a copy of each piece into a part.
        Leaving the block by an error or cancellation leaves nothing behind."""
        with _counted("put"):
            async with multipart.PartWriter(
                self, bucket, key, content_type=content_type, part_size=part_size,
                parts_in_flight=self.parts_in_flight,
            ) as writer:  # fmt: skip
                yield writer

    def _upload_part(
        self, bucket: str, key: str, data: memoryview, upload_id: str, number: int
    ) -> str:
        # A view of the part's buffer, not a copy: minio hashes it, urllib3 sends it, and
        # both take any bytes-like object.
        return self._client._upload_part(bucket, key, cast(bytes, data), None, upload_id, number)

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
        with _counted("put"):
            await self._small.put(bucket, key, bytes(data), content_type)
        return len(data)

    async def aclose(self) -> None:
        """Closes the connections of `put_bytes` (minio's pool needs no closing)."""
        await self._small.aclose()

    async def delete(self, bucket: str, key: str) -> None:
        """Idempotent: a missing key is not an error."""
        try:
            with _counted("delete"):
                await self._run(self._client.remove_object, bucket, key)
        except S3Error as exc:
            if exc.code != "NoSuchKey":
                raise

    # -- reads ---------------------------------------------------------------------------------

    async def get_stream(
        self,
        bucket: str,
        key: str,
        *,
        chunk_size: int = DEFAULT_READ_CHUNK,
        offset: int = 0,
        length: int | None = None,
    ) -> AsyncIterator[bytes]:
        """Yield the object (or its ``length`` bytes from ``offset``: one ranged GET) in pieces
        of at most ``chunk_size``; raises ObjectNotFound."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if offset < 0 or (length is not None and length < 1):
            raise ValueError("a range is offset >= 0 and length >= 1")
        try:
            with _counted("get"):
                response = await self._run(
                    self._client.get_object, bucket, key, offset=offset, length=length or 0
                )
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectNotFound(bucket, key) from None
            raise
        try:
            while True:
                with _counted("get"):
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
            with _counted("stat"):
                stat = await self._run(self._client.stat_object, bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return None
            raise
        return stat.size

    async def exists(self, bucket: str, key: str) -> bool:
        return await self.size(bucket, key) is not None

    async def keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys under ``prefix``, in order (for logs kept as one small object an entry: a
        listing's worth, not content)."""

        def listing() -> list[str]:
            found = self._client.list_objects(bucket, prefix=prefix, recursive=True)
            return [item.object_name for item in found if item.object_name is not None]

        with _counted("list"):
            return await self._run(listing)

    async def keys_older_than(self, bucket: str, prefix: str, seconds: float) -> list[str]:
        """The keys under ``prefix`` last written more than ``seconds`` ago. Measured against
        the real time of this machine, not a service's (movable) clock: the store stamps an
        object with its own real time, and the age asked is how long ago the write happened."""

        def listing() -> list[str]:
            cutoff = datetime.now(UTC) - timedelta(seconds=seconds)
            found = self._client.list_objects(bucket, prefix=prefix, recursive=True)
            return [
                item.object_name
                for item in found
                if item.object_name is not None
                and item.last_modified is not None
                and item.last_modified < cutoff
            ]

        with _counted("list"):
            return await self._run(listing)
