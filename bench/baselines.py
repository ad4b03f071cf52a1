"""The raw baselines: the minio client putting objects of the same sizes straight into the
same S3 server (bytes that do not compress, as ingest's ciphertext does not), and plain INSERTs
of the same rows into the same PostgreSQL."""

import asyncio
import io
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import asyncpg
from minio import Minio
from minio.deleteobjects import DeleteObject

from bench.stack import RECORD_SIZE, MiB, opaque, opaque_content

BUCKET = "bench-raw"


def _empty(s3: Minio, bucket: str) -> None:
    keys = [DeleteObject(o.object_name) for o in s3.list_objects(bucket, recursive=True)]
    for error in s3.remove_objects(bucket, keys):
        raise RuntimeError(f"could not delete {error.name}")


def raw_puts(s3: Minio, count: int, concurrency: int) -> float:
    """Seconds to put `count` 10 KB objects, `concurrency` at a time (bytes that do not
    compress, as ingest's ciphertext)."""
    if not s3.bucket_exists(BUCKET):
        s3.make_bucket(BUCKET)
    objects = [opaque_content(n) for n in range(count)]

    def put(n: int) -> None:
        data = objects[n]
        s3.put_object(BUCKET, f"raw/{n:06d}", io.BytesIO(data), len(data))

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(put, range(count)))
    elapsed = time.perf_counter() - started
    _empty(s3, BUCKET)
    return elapsed


class _Stream(io.RawIOBase):
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._rest:
            self._rest = next(self._pieces, b"")
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def raw_multipart(
    s3: Minio,
    size: int,
    part_size: int = 8 * MiB,
    content: Callable[[int], Iterator[bytes]] = opaque,
) -> float:
    """Seconds to stream `size` bytes of unknown length into one object, multipart: by default
    bytes that do not compress, as ingest's ciphertext."""
    if not s3.bucket_exists(BUCKET):
        s3.make_bucket(BUCKET)
    started = time.perf_counter()
    s3.put_object(BUCKET, "raw/big", io.BufferedReader(_Stream(content(size)), MiB), -1,
                  part_size=part_size)  # fmt: skip
    elapsed = time.perf_counter() - started
    _empty(s3, BUCKET)
    return elapsed


def raw_inserts(dsn: str, count: int, group: int) -> float:
    """Seconds to INSERT `count` rows shaped like ingest's records (same columns, similar
    sizes), `group` rows per transaction, into a temporary copy of the records table."""

    async def run() -> float:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TEMP TABLE bench_records (LIKE records INCLUDING ALL)")
            rows = [
                (
                    uuid.uuid4(), uuid.uuid4(), "89999999", f"raw-{n:06d}", os.urandom(32).hex(),
                    os.urandom(180), date(1990, 1, 1), "male", "medical_record", "medical",
                    f"외래 진료기록 {n}", "내과", date(2019, 3, 2), date(2019, 3, 9), "text/plain",
                    RECORD_SIZE, os.urandom(32).hex(), os.urandom(32).hex(), "stored",
                    f"records/{uuid.uuid4()}", "kek-local-1", os.urandom(60),
                )
                for n in range(count)
            ]  # fmt: skip
            sql = (
                "INSERT INTO bench_records (record_id, transfer_id, institution_code, "
                "external_id, person_key, patient_sealed, birth_date, sex, kind, specialty, "
                "title, department, service_start, service_end, content_type, size, sha256, "
                "fingerprint, status, object_key, kek_id, wrapped_dek, stored_at) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,"
                "$22, now())"
            )
            started = time.perf_counter()
            for start in range(0, count, group):
                async with conn.transaction():
                    await conn.executemany(sql, rows[start : start + group])
            return time.perf_counter() - started
        finally:
            await conn.close()

    return asyncio.run(run())
