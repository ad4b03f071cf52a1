"""Declared content streamed to PUT …/content: any size in constant memory, encrypted on the way
into an S3 multipart upload, checked against the declaration and Content-Digest. The record is
stored and announced only then; a mismatch or a dropped connection keeps no object."""

import base64
import hashlib
import os
import socket
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, Operator, bearer, eventually, service_client
from tests.support.builders import a_record, content_digest, declared, structured
from tests.support.ingest import STRUCTURED, IngestStore, NewDepositor, OpenTransfer
from tests.support.stack import rss_samples

MiB = 1024 * 1024


def pattern(size: int, seed: bytes = b"") -> Iterator[bytes]:
    """`size` bytes of varied data in 1 MiB pieces, the same on every call."""
    block = hashlib.sha256(seed).digest() * (MiB // 32)
    for n in range(0, size, MiB):
        piece = n.to_bytes(8, "big") + block[8:]
        yield piece[: min(MiB, size - n)]


def digest_of(size: int, seed: bytes = b"") -> str:
    sha = hashlib.sha256()
    for piece in pattern(size, seed):
        sha.update(piece)
    return sha.hexdigest()


def digest_header(sha256_hex: str) -> str:
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"


@pytest.fixture(scope="module")
def clinic(new_depositor: NewDepositor) -> OpenTransfer:
    client, code = new_depositor()
    return OpenTransfer(client, client.open_transfer(code, "스트리밍의원"))


@pytest.fixture(scope="module")
def reader(cluster: Cluster, operator: Operator) -> httpx.Client:
    """Issuance's view: the internal content API with a content:read token."""
    return service_client(cluster, operator, "ingest", ["content:read"])


def declare(client: Depositor, transfer_id: str, external_id: str, size: int, sha256: str,
            content_type: str = "text/plain") -> dict[str, object]:  # fmt: skip
    body = a_record(content={"content_type": content_type, "size": size, "sha256": sha256})
    response = client.put_record(transfer_id, external_id, body)
    assert response.status_code == 201, response.text
    record: dict[str, object] = response.json()
    assert record["status"] == "awaiting_content"
    return record


def test_streamed_content_is_stored_encrypted_and_announced_once_verified(
    cluster: Cluster, clinic: OpenTransfer, store: IngestStore, reader: httpx.Client
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    size = 40 * MiB + 123  # several 8 MiB parts
    sha = digest_of(size, b"big")
    record = declare(client, transfer_id, "scan-1", size, sha)
    assert store.events(transfer_id, "RecordStored") == []
    assert (
        reader.get(
            f"/internal/v1/records/{record['record_id']}/content",
            params={"purpose": "certified_copy"},
        ).status_code
        == 404
    )

    digest = digest_header(sha)
    response = client.put_content(transfer_id, "scan-1", pattern(size, b"big"), "text/plain",
                                  digest=digest)  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "stored"
    assert response.json()["size"] == size

    row = store.record(transfer_id, "scan-1")
    assert row is not None and row["status"] == "stored"
    assert row["object_key"].startswith(f"records/{record['record_id']}/")
    head = store.object_bytes(row["object_key"])[:MiB]
    assert head[:4] == b"MRC1" and next(pattern(size, b"big"))[8:64] not in head
    events = store.events(transfer_id, "RecordStored")
    assert [e["data"]["record_id"] for e in events] == [record["record_id"]]
    assert events[0]["data"]["size"] == size and events[0]["data"]["sha256"] == sha

    with reader.stream(
        "GET",
        f"/internal/v1/records/{record['record_id']}/content",
        params={"purpose": "certified_copy"},
    ) as got:
        assert got.status_code == 200
        assert got.headers["content-digest"] == digest
        read = hashlib.sha256()
        for piece in got.iter_bytes():
            read.update(piece)
    assert read.hexdigest() == sha

    again = client.put_content(transfer_id, "scan-1", b"", "text/plain", digest=digest)
    assert again.status_code == 200
    assert client.put_content(transfer_id, "scan-1", b"x", "text/plain").status_code == 409


def test_a_large_upload_runs_in_constant_memory(cluster: Cluster, clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    size = 256 * MiB
    sha = digest_of(size, b"rss")
    declare(client, transfer_id, "rss-1", size, sha)
    with rss_samples(cluster.processes["ingest-api"].pid) as peak:
        response = client.put_content(
            transfer_id, "rss-1", pattern(size, b"rss"), "text/plain", digest=digest_header(sha)
        )
    assert response.status_code == 201, response.text
    # Constant memory: the process grows by its parts in flight and buffers, a bound that does
    # not depend on the size (the absolute RSS depends on what ran before in the process).
    grown = max(peak) - peak[0]
    assert grown < 96 * MiB, f"RSS grew by {grown / MiB:.0f} MiB over a {size // MiB} MiB upload"


def upload_headers(data: bytes, content_type: str = "text/plain") -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Digest": content_digest(data)}


def test_a_mismatch_keeps_nothing(clinic: OpenTransfer, store: IngestStore) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    data = os.urandom(9 * MiB)  # more than one part: the multipart upload has begun
    record = declare(client, transfer_id, "mismatch-1", len(data),
                     hashlib.sha256(data).hexdigest())  # fmt: skip
    prefix = f"records/{record['record_id']}"
    counts = client.transfer(transfer_id)["counts"]
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    refusals = [
        # the body differs from what both the declaration and the header say
        (tampered, upload_headers(data), "body"),
        # the header differs from the declaration
        (tampered, upload_headers(tampered), "Content-Digest"),
        (data, {"Content-Type": "text/plain"}, "Content-Digest"),
        (data, upload_headers(data) | {"Content-Digest": "md5=:AAAA:"}, "Content-Digest"),
        (data, upload_headers(data, "application/pdf"), "Content-Type"),
        (data[:-10], upload_headers(data), "body"),  # shorter, chunked
        (data + b"extra", upload_headers(data), "body"),  # longer, chunked
    ]
    for body, headers, field in refusals:
        response = client.ingest.put(
            f"/v1/transfers/{transfer_id}/records/mismatch-1/content",
            content=iter([body[: 4 * MiB], body[4 * MiB :]]),
            headers=headers,
        )
        assert response.status_code == 422, (field, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.text
        assert store.objects(prefix=prefix).keys == frozenset()
        assert store.multipart_uploads(prefix) == []
        assert store.record(transfer_id, "mismatch-1")["status"] == "awaiting_content"  # type: ignore[index]
    assert store.events(transfer_id, "RecordStored") == [] or all(
        e["data"]["record_id"] != record["record_id"]
        for e in store.events(transfer_id, "RecordStored")
    )
    after = client.transfer(transfer_id)["counts"]
    assert after == counts | {"failed": counts["failed"] + len(refusals)}

    ok = client.put_content(transfer_id, "mismatch-1", data, "text/plain")
    assert ok.status_code == 201, ok.text
    assert len(store.objects(prefix=prefix).keys) == 1


def test_a_dropped_connection_keeps_nothing(
    cluster: Cluster, clinic: OpenTransfer, store: IngestStore
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    data = os.urandom(24 * MiB)
    record = declare(client, transfer_id, "dropped-1", len(data),
                     hashlib.sha256(data).hexdigest())  # fmt: skip
    prefix = f"records/{record['record_id']}"
    port = httpx.URL(cluster.url("ingest")).port
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        (
            f"PUT /v1/transfers/{transfer_id}/records/dropped-1/content HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {client.token}\r\n"
            f"Content-Type: text/plain\r\nContent-Digest: {content_digest(data)}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
    )
    sock.sendall(data[: 17 * MiB])  # two parts uploaded, a third under way
    eventually(lambda: store.multipart_uploads(prefix), timeout=30, what="the multipart upload")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # RST: the connection is cut

    eventually(lambda: store.multipart_uploads(prefix) == [], timeout=30, what="the abort")
    assert store.objects(prefix=prefix).keys == frozenset()
    assert store.record(transfer_id, "dropped-1")["status"] == "awaiting_content"  # type: ignore[index]
    assert client.ingest.get("/healthz").status_code == 200

    retry = client.put_content(transfer_id, "dropped-1", data, "text/plain")
    assert retry.status_code == 201, retry.text
    assert len(store.objects(prefix=prefix).keys) == 1


def test_concurrent_uploads_of_one_record_store_it_once(
    cluster: Cluster, clinic: OpenTransfer, store: IngestStore
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    data = os.urandom(3 * MiB)
    record = declare(client, transfer_id, "race-1", len(data), hashlib.sha256(data).hexdigest())

    def upload(_: int) -> int:
        with httpx.Client(base_url=cluster.url("ingest"), headers=bearer(client.token)) as http:
            return http.put(
                f"/v1/transfers/{transfer_id}/records/race-1/content",
                content=data,
                headers=upload_headers(data),
                timeout=120,
            ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(upload, range(4)))
    assert statuses == [200, 200, 200, 201]
    assert len(store.objects(prefix=f"records/{record['record_id']}").keys) == 1
    stored = [
        e for e in store.events(transfer_id, "RecordStored")
        if e["data"]["record_id"] == record["record_id"]
    ]  # fmt: skip
    assert len(stored) == 1


def test_streamed_structured_content_is_validated(clinic: OpenTransfer, store: IngestStore) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    bad = structured(diagnoses=[{"code": "not-kcd", "name": "x"}])
    declare(client, transfer_id, "structured-1", len(bad), hashlib.sha256(bad).hexdigest(),
            STRUCTURED)  # fmt: skip
    response = client.put_content(transfer_id, "structured-1", bad, STRUCTURED)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "content.diagnoses[0].code"
    assert store.record(transfer_id, "structured-1")["status"] == "awaiting_content"  # type: ignore[index]


def test_content_for_an_unknown_record_is_not_found(clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    response = client.put_content(transfer_id, "never-declared", b"abc", "text/plain")
    assert response.status_code == 404
    inline_record = client.put_record(transfer_id, "inline-1", a_record())
    assert inline_record.status_code == 201
    same = base64.b64decode(a_record()["content"]["data_base64"])
    assert client.put_content(transfer_id, "inline-1", same, "text/plain").status_code == 200


def test_declaring_again_is_idempotent(clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    body = a_record(content=declared(b"declared twice", "text/plain"))
    first = client.put_record(transfer_id, "declared-2", body)
    assert first.status_code == 201
    assert client.put_record(transfer_id, "declared-2", body).status_code == 200
    other = a_record(content=declared(b"declared otherwise", "text/plain"))
    assert client.put_record(transfer_id, "declared-2", other).status_code == 409
