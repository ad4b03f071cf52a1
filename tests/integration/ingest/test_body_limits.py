"""Request bodies are bounded before anything parses them (medrec_shared.platform.bodylimits): a
JSON route takes 64 KiB, refused 413 as soon as the body says or shows it is larger, and nothing
more of it is read. Only the deposits (and a transfer's opening and completion, which may carry a
declaration's manifest) take large bodies, and only from an authenticated depositor:
without a valid token they answer 401 before reading the body, and close the connection."""

import hashlib
import json
import uuid
from collections.abc import Iterator

import psutil
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import eventually
from tests.support.builders import a_record, content_digest
from tests.support.ingest import IngestStore, NewDepositor, OpenTransfer
from tests.support.lab import service_lab
from tests.support.rawhttp import chunked, send_while_reading
from tests.support.stack import rss_samples

MiB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def nested_lists(size: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    """`[[],[],…,[]]` of `size` bytes: each 3 bytes becomes a Python list if parsed."""
    count = size // 3
    yield b"["
    pieces, rest = divmod(count - 1, piece // 3)
    for _ in range(pieces):
        yield b"[]," * (piece // 3)
    yield b"[]," * rest + b"[]]"


@pytest.fixture(scope="module")
def clinic(new_depositor: NewDepositor) -> OpenTransfer:
    client, code = new_depositor()
    return OpenTransfer(client, client.open_transfer(code, "경계의원"))


def test_a_64_mib_json_body_without_a_token_is_refused_at_once_and_costs_no_memory(
    cluster: Cluster,
) -> None:
    with service_lab(cluster, "ingest", "body-limits") as lab:
        pid = lab.processes[0].pid
        assert pid is not None
        size = 64 * MiB
        headers = JSON | {"Content-Length": str(size)}
        with rss_samples(pid) as samples:
            answer = send_while_reading(
                lab.url(), "POST", "/v1/transfers", headers, nested_lists(size), timeout=60
            )
            after = psutil.Process(pid).memory_info().rss
        before, peak = samples[0], max([*samples, after])
        print(f"\ningest RSS around a 64 MiB body: before {before / MiB:.1f} MiB, "
              f"peak {peak / MiB:.1f} MiB, after {after / MiB:.1f} MiB, "
              f"answered {answer.status} in {answer.seconds:.2f} s, "
              f"{answer.sent / MiB:.1f} MiB of the body sent")  # fmt: skip
        assert answer.status == 413, answer.body
        assert answer.headers["content-type"] == "application/problem+json"
        assert json.loads(answer.body)["type"].endswith("/content-too-large")
        assert answer.seconds < 5
        assert answer.closed
        assert peak - before < 16 * MiB
        assert lab.client().get("/healthz").status_code == 200


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(cluster: Cluster) -> None:
    # No Content-Length, and a body that never ends: only counting what arrives can refuse it.
    headers = JSON | {"Transfer-Encoding": "chunked"}
    forever = chunked(b"[]," * 10_000 for _ in range(10_000))
    # A route of the default limit (opening a transfer takes a declaration's manifest since #29).
    path = f"/v1/admin/transfers/{uuid.uuid4()}/release"
    answer = send_while_reading(cluster.url("ingest"), "POST", path, headers, forever)
    assert answer.status == 413, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.closed
    assert answer.sent < 64 * MiB


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("PUT", "/v1/transfers/{t}/records/big-1/content", "application/octet-stream"),
        ("POST", "/v1/transfers/{t}/records:batch", "application/x-ndjson"),
        ("PUT", "/v1/transfers/{t}/records/big-2", "application/json"),
        ("POST", "/v1/transfers/{t}/complete", "application/json"),
        ("POST", "/v1/transfers", "application/json"),  # a declaration's manifest (#29)
        ("POST", "/fhir", "application/fhir+json"),  # an ITI-65 bundle (#30)
    ],
)
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_large_upload_without_a_valid_token_is_refused_unread(
    cluster: Cluster, clinic: OpenTransfer, method: str, path: str, content_type: str,
    token: str | None,
) -> None:  # fmt: skip
    size = 12 * MiB  # under every one of these routes' limits
    headers = {"Content-Type": content_type, "Content-Length": str(size)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    first_part = iter([b"x" * (256 * 1024)])  # and no more: the rest never comes
    route = path.format(t=clinic.transfer_id)
    answer = send_while_reading(cluster.url("ingest"), method, route, headers, first_part)
    assert answer.status == 401, answer.body
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.closed  # the server does not wait to read (and drop) the other 11.75 MiB


def test_an_authenticated_upload_larger_than_the_json_limit_is_stored(
    clinic: OpenTransfer, store: IngestStore
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    data = bytes(range(256)) * (4 * 4096)  # 4 MiB
    sha256 = hashlib.sha256(data).hexdigest()
    body = a_record(content={"content_type": "text/plain", "size": len(data), "sha256": sha256})
    assert client.put_record(transfer_id, "big-ok", body).status_code == 201
    pieces = (data[i : i + MiB] for i in range(0, len(data), MiB))  # chunked, no length
    response = client.put_content(
        transfer_id, "big-ok", pieces, "text/plain", digest=content_digest(data)
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "stored"
    eventually(lambda: store.record(transfer_id, "big-ok"), timeout=10, what="the record row")


def test_a_completion_listing_many_records_is_read_whole(clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    never_sent = [f"never-sent-{n:06d}-{'x' * 20}" for n in range(5000)]  # some 200 KiB
    response = client.complete(transfer_id, len(never_sent), never_sent)
    assert response.status_code == 409, response.text
    assert response.json()["missing_total"] == 5000


def test_a_json_body_over_the_limit_with_a_valid_token_is_refused(clinic: OpenTransfer) -> None:
    padding = "x" * (64 * 1024)
    response = clinic.client.ingest.post(
        f"/v1/admin/transfers/{clinic.transfer_id}/release", json={"reason": padding}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
