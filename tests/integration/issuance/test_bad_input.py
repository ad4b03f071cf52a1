"""Bad input to issuance is a 4xx problem and creates nothing."""

from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.actors import Citizen
from tests.stack import sql


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
