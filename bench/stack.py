"""The local stack for a benchmark run, and an institution client of the transfer API."""

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from minio import Minio

from medrec_devstack.cluster import Cluster

MiB = 1024 * 1024
RECORD_SIZE = 10 * 1024


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """All four services on a fresh local stack; catalog's and issuance's workers are stopped
    so that only ingest (api and outbox relay) competes for the CPUs being measured."""
    with tempfile.TemporaryDirectory(prefix="medrec-bench-") as state:
        # The engines as `make run` has them (fsync on); BENCH_ENGINES=fast turns fsync off
        # (the tests' throwaway mode), to see what durability costs.
        fast = os.environ.get("BENCH_ENGINES", "durable") == "fast"
        cluster = Cluster(Path(state), fast=fast).start()
        try:
            cluster.stop_process("catalog", "worker")
            cluster.stop_process("issuance", "worker")
            yield cluster
        finally:
            cluster.stop()


def minio_client(cluster: Cluster) -> Minio:
    assert cluster.infra is not None
    return Minio(
        cluster.infra.s3_url.removeprefix("http://"),
        access_key=cluster.infra.s3_access_key,
        secret_key=cluster.infra.s3_secret_key,
        secure=False,
    )


def database_dsn(cluster: Cluster, database: str) -> str:
    assert cluster.infra is not None
    return f"{cluster.infra.database_url.replace('+asyncpg', '')}/{database}"


class Depositor:
    """An EMR vendor's client for one institution code."""

    def __init__(self, cluster: Cluster, code: str) -> None:
        operator = cluster.client_token(
            cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret
        )
        response = httpx.post(
            f"{cluster.url('identity')}/v1/clients",
            json={"name": "bench EMR", "institution_codes": [code], "scopes": ["transfer:write"]},
            headers={"Authorization": f"Bearer {operator}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        self.code = code
        self.base_url = cluster.url("ingest")
        token = cluster.client_token(body["client_id"], body["client_secret"])
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=600)

    def open_transfer(self) -> str:
        response = self.http.post(
            "/v1/transfers",
            json={
                "institution": {"code": self.code, "name": "벤치마크의원", "type": "의원",
                                "address": "서울특별시 중구 세종대로 110", "region": "서울"},
                "reason": "closure",
                "effective_date": "2026-01-31",
            },
        )  # fmt: skip
        response.raise_for_status()
        return str(response.json()["transfer_id"])


def content_of(n: int, size: int = RECORD_SIZE) -> bytes:
    """A record's distinct content of `size` bytes."""
    seed = hashlib.sha256(str(n).encode()).hexdigest().encode()
    return (seed * (size // len(seed) + 1))[:size]


def record(n: int, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "patient": {"rrn": "900101-1234567", "name": "김벤치", "birth_date": "1990-01-01",
                    "sex": "male"},
        "kind": "medical_record",
        "specialty": "medical",
        "title": f"외래 진료기록 {n}",
        "service_start": "2019-03-02",
        "service_end": "2019-03-09",
        "department": "내과",
        "content": content,
    }  # fmt: skip


def inline_record(n: int) -> dict[str, Any]:
    data = base64.b64encode(content_of(n)).decode()
    return record(n, {"content_type": "text/plain", "data_base64": data})


def ndjson_line(n: int, prefix: str) -> bytes:
    line = {"external_id": f"{prefix}-{n:06d}"} | inline_record(n)
    return json.dumps(line, ensure_ascii=False).encode() + b"\n"


def pattern(size: int) -> Iterator[bytes]:
    """`size` bytes in 1 MiB pieces, the same on every call, no two pieces alike."""
    block = hashlib.sha256(b"bench").digest() * (MiB // 32)
    for offset in range(0, size, MiB):
        piece = offset.to_bytes(8, "big") + block[8:]
        yield piece[: min(MiB, size - offset)]


# What ingest puts into the store is ciphertext, which does not compress; SeaweedFS gzips a chunk
# that does (a 1 GiB upload of `pattern` cost the store 7.5 s of CPU, of bytes like these 10.8 s,
# and went 45% faster). The raw baselines put bytes like these, so that the store does the same
# work for them as for ingest.
_OPAQUE = hashlib.shake_256(b"bench opaque").digest(MiB + RECORD_SIZE)


def opaque(size: int) -> Iterator[bytes]:
    """`size` bytes that do not compress, in 1 MiB pieces, no two pieces alike."""
    for offset in range(0, size, MiB):
        piece = offset.to_bytes(8, "big") + _OPAQUE[8:MiB]
        yield piece[: min(MiB, size - offset)]


def opaque_content(n: int, size: int = RECORD_SIZE) -> bytes:
    """An object's distinct content of `size` bytes that does not compress."""
    start = n * 8191 % MiB
    return n.to_bytes(8, "big") + _OPAQUE[start + 8 : start + size]


def digest_of(size: int) -> str:
    sha = hashlib.sha256()
    for piece in pattern(size):
        sha.update(piece)
    return sha.hexdigest()
