"""An object store with several parts of a multipart upload in flight at once: whatever fails
(the source, a cancellation), every part settles and nothing remains: no object, no upload."""

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.storage import ObjectStore
from tests.support.ingest import BUCKET, IngestStore

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def records_store(cluster: Cluster) -> ObjectStore:
    assert cluster.infra is not None
    return ObjectStore.from_url(
        cluster.infra.s3_url,
        cluster.infra.s3_access_key,
        cluster.infra.s3_secret_key,
        parts_in_flight=3,
    )


async def pieces(total: int, fail_after: int | None = None) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        if fail_after is not None and sent >= fail_after:
            raise RuntimeError("the source broke")
        piece = os.urandom(min(MiB, total - sent))
        sent += len(piece)
        yield piece


async def test_parts_in_flight_assemble_in_order(
    records_store: ObjectStore, store: IngestStore
) -> None:
    key = f"test-store/{os.urandom(4).hex()}"
    data = os.urandom(37 * MiB + 5)

    async def source() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 3 * MiB):
            yield data[start : start + 3 * MiB]

    assert await records_store.put_stream(BUCKET, key, source()) == len(data)
    stored = store.object_bytes(key)
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    await records_store.delete(BUCKET, key)


async def test_a_failing_source_leaves_nothing(
    records_store: ObjectStore, store: IngestStore
) -> None:
    key = f"test-store/{os.urandom(4).hex()}"
    with pytest.raises(RuntimeError, match="the source broke"):
        await records_store.put_stream(BUCKET, key, pieces(64 * MiB, fail_after=30 * MiB))
    assert store.objects(prefix=key).keys == frozenset()
    assert store.multipart_uploads(key) == []


async def test_a_cancelled_upload_leaves_nothing(
    records_store: ObjectStore, store: IngestStore
) -> None:
    key = f"test-store/{os.urandom(4).hex()}"
    upload = asyncio.ensure_future(records_store.put_stream(BUCKET, key, pieces(256 * MiB)))
    deadline = time.monotonic() + 60
    while not store.multipart_uploads(key):
        assert time.monotonic() < deadline and not upload.done(), "the upload never began"
        await asyncio.sleep(0.05)
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    assert store.objects(prefix=key).keys == frozenset()
    assert store.multipart_uploads(key) == []
