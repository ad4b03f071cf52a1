"""Bad input to issuance is a 4xx problem and creates nothing."""

import json
import socket
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen
from tests.support.stack import sql


@pytest.fixture(scope="module")
def citizen(cluster: Cluster) -> Citizen:
    return Citizen(cluster, "배수지", "940110-2000011")


def issuances(cluster: Cluster) -> int:
    return int(sql(cluster, "issuance", "SELECT count(*) FROM issuances")[0][0])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "record_ids"),
        ({"record_ids": []}, "record_ids"),
        ({"record_ids": ["not-a-uuid"]}, "record_ids.0"),
        ({"record_ids": [f"00000000-0000-7000-8000-{n:012d}" for n in range(101)]}, "record_ids"),
        ({"record_ids": ["00000000-0000-7000-8000-000000000001"], "purpose": "x" * 201}, "purpose"),
    ],
)
def test_bad_copy_requests(
    cluster: Cluster, citizen: Citizen, body: dict[str, Any], field: str
) -> None:
    before = issuances(cluster)
    response = citizen.issuance.post("/v1/issuances", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
    assert issuances(cluster) == before


def test_unknown_record_is_404_and_creates_nothing(cluster: Cluster, citizen: Citizen) -> None:
    before = issuances(cluster)
    response = citizen.issuance.post(
        "/v1/issuances", json={"record_ids": ["00000000-0000-7000-8000-000000000001"]}
    )
    assert response.status_code == 404
    assert issuances(cluster) == before


@pytest.mark.parametrize(
    "params", [{}, {"number": "MR-1"}, {"code": "ABCD"}, {"number": "x" * 33, "code": "A"}]
)
def test_verify_needs_number_and_code(cluster: Cluster, params: dict[str, str]) -> None:
    response = httpx.get(f"{cluster.url('issuance')}/v1/verify", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_verify_by_upload_of_something_that_is_not_a_copy(cluster: Cluster) -> None:
    response = httpx.post(
        f"{cluster.url('issuance')}/v1/verify",
        files={"file": ("x.pdf", b"%PDF-1.7 junk", "application/pdf")},
    )
    assert response.json() == {"valid": False}
    missing = httpx.post(f"{cluster.url('issuance')}/v1/verify")
    assert missing.status_code == 422


def test_copies_need_a_citizen(cluster: Cluster) -> None:
    issuance = httpx.Client(base_url=cluster.url("issuance"))
    assert issuance.get("/v1/issuances").status_code == 401
    assert issuance.post("/v1/issuances", json={"record_ids": []}).status_code == 401


def _answer_before_the_body(cluster: Cluster, authorization: str | None) -> bytes:
    """The status line issuance answers a proxy request with whose 1 MB body never comes."""
    url = httpx.URL(cluster.url("issuance"))
    head = [
        "POST /v1/proxy-requests HTTP/1.1",
        f"Host: {url.host}",
        "Content-Type: multipart/form-data; boundary=b",
        "Content-Length: 1000000",
        *([f"Authorization: {authorization}"] if authorization else []),
    ]
    # The deadline: a service that waited for the body would answer only when it gave up on it.
    with socket.create_connection((url.host, url.port), timeout=15) as connection:
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        return connection.recv(64).split(b"\r\n")[0]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
def test_a_proxy_request_without_a_token_is_refused_before_its_documents_are_read(
    cluster: Cluster, authorization: str | None
) -> None:
    assert _answer_before_the_body(cluster, authorization) == b"HTTP/1.1 401 Unauthorized"


def proxy_requests(cluster: Cluster) -> int:
    return int(sql(cluster, "issuance", "SELECT count(*) FROM proxy_requests")[0][0])


PDF = ("consent.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
SPOUSE = json.dumps({"patient": {"name": "김민수", "rrn": "400101-1000015"}, "relation": "spouse"})


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        ({}, {"consent_form": PDF}, "request"),
        ({}, {"request": ("request.json", SPOUSE.encode(), "application/json")}, "request"),
        ({"request": SPOUSE, "consent_form": "not a file"}, {}, "consent_form"),
        ({"request": SPOUSE}, {"consent_form": PDF, "medical_record": PDF}, "medical_record"),
    ],
    ids=["no-request", "request-as-a-file", "document-as-text", "unknown-document"],
)
def test_a_proxy_request_form_out_of_shape_is_refused_by_field(
    cluster: Cluster,
    citizen: Citizen,
    data: dict[str, str],
    files: dict[str, tuple[str, bytes, str]],
    field: str,
) -> None:
    before = proxy_requests(cluster)
    response = citizen.issuance.post("/v1/proxy-requests", data=data, files=files)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert proxy_requests(cluster) == before
