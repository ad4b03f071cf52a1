"""ObjectStore against the local stack's real S3 server."""

import asyncio
import base64
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import boto3
import pytest

from medrec_devstack.infra import Infra
from medrec_shared.platform.s3put import SmallPuts
from medrec_shared.platform.storage import ObjectNotFound, ObjectStore

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint_url(infra: Infra) -> str:
    return infra.s3_url


@pytest.fixture(scope="module")
def store(s3_endpoint_url: str, infra: Infra) -> ObjectStore:
    return ObjectStore.from_url(s3_endpoint_url, infra.s3_access_key, infra.s3_secret_key)


@pytest.fixture(scope="module")
def s3_admin(s3_endpoint_url: str, infra: Infra):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint_url,
        aws_access_key_id=infra.s3_access_key,
        aws_secret_access_key=infra.s3_secret_key,
        region_name="us-east-1",
    )


@pytest.fixture
async def bucket(store: ObjectStore) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    await store.ensure_bucket(name)
    await store.ensure_bucket(name)  # idempotent
    return name


async def _pseudo_random(total: int, piece: int, sink: "hashlib._Hash") -> AsyncIterator[bytes]:
    # Odd piece sizes so parts never align with source pieces.
    seed = os.urandom(piece)
    sent = 0
    i = 0
    while sent < total:
        n = min(piece, total - sent)
        data = hashlib.sha256(seed + i.to_bytes(8, "big")).digest() * (n // 32 + 1)
        data = data[:n]
        sink.update(data)
        sent += n
        i += 1
        yield data
        await asyncio.sleep(0)


def test_from_url() -> None:
    assert ObjectStore.from_url("https://s3.example:9000", "a", "b").client._base_url.is_https
    assert not ObjectStore.from_url("http://s3.example:9000", "a", "b").client._base_url.is_https
    with pytest.raises(ValueError):
        ObjectStore.from_url("ftp://x", "a", "b")
    with pytest.raises(ValueError):
        ObjectStore("http://x:9000", "a", "b")
    assert "secret" not in repr(ObjectStore("x:9000", "a", "secret"))


async def test_ping(store: ObjectStore) -> None:
    assert await store.ping()
    assert not await ObjectStore("127.0.0.1:1", "a", "b").ping()


async def test_multipart_stream_round_trip(store: ObjectStore, bucket: str) -> None:
    total = 20 * MiB + 12345
    sent = hashlib.sha256()
    written = await store.put_stream(
        bucket, "big.bin", _pseudo_random(total, 300_001, sent), part_size=5 * MiB
    )
    assert written == total
    assert await store.size(bucket, "big.bin") == total
    got = hashlib.sha256()
    received = 0
    async for piece in store.get_stream(bucket, "big.bin", chunk_size=MiB):
        assert len(piece) <= MiB
        got.update(piece)
        received += len(piece)
    assert received == total
    assert got.hexdigest() == sent.hexdigest()


async def test_exact_part_multiple(store: ObjectStore, bucket: str) -> None:
    sent = hashlib.sha256()
    n = await store.put_stream(
        bucket, "exact", _pseudo_random(10 * MiB, MiB, sent), part_size=5 * MiB
    )
    assert n == 10 * MiB
    assert hashlib.sha256(await store.get_bytes(bucket, "exact")).digest() == sent.digest()


async def test_upload_written_in_place(store: ObjectStore, bucket: str, s3_admin) -> None:  # type: ignore[no-untyped-def]
    """Bytes written into the parts' buffers in place, pieces that straddle where a part would
    end, and bytes copied in, in any mix: the object is every byte in order."""
    sent = bytearray()
    async with store.upload(bucket, "in-place", part_size=5 * MiB) as upload:
        for n in range(40):
            if n % 3:
                room = await upload.room(300_001)
                piece = os.urandom(300_001 - n)
                room[: len(piece)] = piece
                upload.wrote(len(piece))
            else:
                piece = os.urandom(700_000 + n)
                await upload.write(piece)
            sent += piece
    assert upload.total == len(sent)
    assert await store.get_bytes(bucket, "in-place") == bytes(sent)
    etag = s3_admin.head_object(Bucket=bucket, Key="in-place")["ETag"]
    assert "-" in etag  # a multipart object's ETag names its parts' count

    with pytest.raises(RuntimeError, match="writer broke"):
        async with store.upload(bucket, "broken-in-place", part_size=5 * MiB) as upload:
            for _ in range(12):  # two parts sent before the failure
                await upload.write(os.urandom(MiB))
            raise RuntimeError("writer broke")
    assert not await store.exists(bucket, "broken-in-place")
    _assert_no_uploads(s3_admin, bucket)


async def test_small_and_empty_streams(store: ObjectStore, bucket: str) -> None:
    async def gen(pieces: list[bytes]) -> AsyncIterator[bytes]:
        for p in pieces:
            yield p

    assert await store.put_stream(bucket, "small", gen([b"ab", b"", b"cd"])) == 4
    assert await store.get_bytes(bucket, "small") == b"abcd"
    assert await store.put_stream(bucket, "empty", gen([])) == 0
    assert await store.exists(bucket, "empty")
    assert await store.get_bytes(bucket, "empty") == b""


async def test_put_get_bytes(store: ObjectStore, bucket: str) -> None:
    data = os.urandom(100_000)
    assert await store.put_bytes(bucket, "k/one", data) == len(data)
    assert await store.get_bytes(bucket, "k/one") == data
    assert await store.exists(bucket, "k/one")
    assert await store.size(bucket, "k/one") == len(data)


async def test_a_small_put_is_refused_when_its_body_is_not_what_was_signed(
    store: ObjectStore, bucket: str, infra: Infra
) -> None:
    """`put_bytes` sends the body's Content-MD5 (platform.s3put), which the store checks: a body
    damaged on the way is refused, and nothing is stored."""
    small = SmallPuts(store.endpoint, infra.s3_access_key, infra.s3_secret_key, secure=False,
                      region="us-east-1")  # fmt: skip
    path = f"/{bucket}/damaged"
    sent = base64.b64encode(hashlib.md5(b"what was sent").digest()).decode()
    headers = small.headers(path, sent, datetime.now(UTC))
    async with (
        aiohttp.ClientSession() as http,
        http.put(small.base + path, data=b"what arrived", headers=headers) as answer,
    ):
        assert answer.status == 400
        assert b"<Code>BadDigest</Code>" in await answer.read()
    assert not await store.exists(bucket, "damaged")
    await small.put(bucket, "intact", b"what was sent", "application/octet-stream")
    assert await store.get_bytes(bucket, "intact") == b"what was sent"
    await small.aclose()


def _assert_no_uploads(s3_admin, bucket: str) -> None:  # type: ignore[no-untyped-def]
    uploads = s3_admin.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert uploads == []


async def test_failing_source_leaves_nothing(store: ObjectStore, bucket: str, s3_admin) -> None:  # type: ignore[no-untyped-def]
    async def failing() -> AsyncIterator[bytes]:
        for _ in range(12):  # 12 MiB: two 5 MiB parts uploaded before the failure
            yield os.urandom(MiB)
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError, match="source broke"):
        await store.put_stream(bucket, "broken", failing(), part_size=5 * MiB)
    assert not await store.exists(bucket, "broken")
    _assert_no_uploads(s3_admin, bucket)


async def test_cancelled_upload_leaves_nothing(store: ObjectStore, bucket: str, s3_admin) -> None:  # type: ignore[no-untyped-def]
    started = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        i = 0
        while True:
            i += 1
            if i == 8:  # after the first part is uploaded
                started.set()
            yield os.urandom(MiB)
            await asyncio.sleep(0)

    task = asyncio.create_task(store.put_stream(bucket, "cancelled", endless(), part_size=5 * MiB))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await store.exists(bucket, "cancelled")
    _assert_no_uploads(s3_admin, bucket)


async def test_delete_idempotent(store: ObjectStore, bucket: str) -> None:
    await store.put_bytes(bucket, "gone", b"x")
    await store.delete(bucket, "gone")
    assert not await store.exists(bucket, "gone")
    await store.delete(bucket, "gone")
    await store.delete(bucket, "never-existed")


async def test_missing_key(store: ObjectStore, bucket: str) -> None:
    with pytest.raises(ObjectNotFound):
        await store.get_bytes(bucket, "missing")
    with pytest.raises(ObjectNotFound):
        async for _ in store.get_stream(bucket, "missing"):
            pass
    assert await store.size(bucket, "missing") is None
    assert not await store.exists(bucket, "missing")
