"""The public directory of closed and suspended institutions, fed by transfer events."""

from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Institution, Operator, eventually
from tests.support.stack import sql

CLINICS = [
    ("51000001", "행복소아과의원", "의원", "경기", "closure"),
    ("51000002", "행복치과의원", "치과의원", "경기", "suspension"),
    ("51000003", "소아청소년한의원", "한의원", "강원", "closure"),
    ("51000004", "바른정형외과병원", "병원", "강원", "closure"),
]


@pytest.fixture(scope="module")
def directory(cluster: Cluster) -> httpx.Client:
    client_id, secret = Operator(cluster).register_client([c[0] for c in CLINICS])
    vendor = Institution(cluster, client_id, secret)
    for code, name, type_, region, reason in CLINICS:
        vendor.open_transfer(
            code,
            name,
            reason=reason,
            institution={
                "code": code,
                "name": name,
                "type": type_,
                "region": region,
                "address": f"{region} 어딘가 1",
            },
        )
    public = httpx.Client(base_url=cluster.url("catalog"), timeout=30)

    def all_listed() -> bool:
        codes = {
            i["code"] for i in public.get("/v1/institutions", params={"limit": 500}).json()["items"]
        }
        return {c[0] for c in CLINICS} <= codes

    eventually(all_listed, what="the institutions in the directory")
    return public


OURS = {c[0] for c in CLINICS}


def names(response: httpx.Response) -> list[str]:
    """Names of this module's institutions in the answer (other tests add their own)."""
    assert response.status_code == 200, response.text
    return [i["name"] for i in response.json()["items"] if i["code"] in OURS]


def test_q_matches_any_part_of_a_korean_name(directory: httpx.Client) -> None:
    assert names(directory.get("/v1/institutions", params={"q": "소아"})) == [
        "행복소아과의원",
        "소아청소년한의원",
    ]
    assert names(directory.get("/v1/institutions", params={"q": "행복"})) == [
        "행복소아과의원",
        "행복치과의원",
    ]
    assert names(directory.get("/v1/institutions", params={"q": "치과의"})) == ["행복치과의원"]
    assert names(directory.get("/v1/institutions", params={"q": "없는병원"})) == []


def test_q_ignores_spacing_as_korean_names_are_spaced_either_way(directory: httpx.Client) -> None:
    assert names(directory.get("/v1/institutions", params={"q": "행복 치과"})) == ["행복치과의원"]
    assert names(directory.get("/v1/institutions", params={"q": " 정형 외과"})) == [
        "바른정형외과병원"
    ]
    assert names(directory.get("/v1/institutions", params={"q": "치 과"})) == ["행복치과의원"]
    assert names(directory.get("/v1/institutions", params={"q": "과의"})) == [
        "행복소아과의원",
        "행복치과의원",
    ]


def test_q_treats_wildcards_as_text(directory: httpx.Client) -> None:
    assert names(directory.get("/v1/institutions", params={"q": "%"})) == []
    assert names(directory.get("/v1/institutions", params={"q": "_"})) == []


def test_filters_by_region_and_type(directory: httpx.Client) -> None:
    assert names(directory.get("/v1/institutions", params={"region": "강원"})) == [
        "소아청소년한의원",
        "바른정형외과병원",
    ]
    assert names(
        directory.get("/v1/institutions", params={"type": "치과의원", "region": "경기"})
    ) == ["행복치과의원"]


def test_one_institution_with_its_status(directory: httpx.Client) -> None:
    body: dict[str, Any] = directory.get("/v1/institutions/51000002").json()
    assert body["status"] == "suspended"
    assert body["record_count"] == 0
    assert directory.get("/v1/institutions/51999999").status_code == 404


def test_pages_walk_every_institution_once(directory: httpx.Client) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "region": "강원"}
        if cursor:
            params["cursor"] = cursor
        body = directory.get("/v1/institutions", params=params).json()
        seen += [i["code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["51000003", "51000004"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"limit": "many"}, {"cursor": "not-a-code"}, {"q": "가" * 101}],
)
def test_bad_queries_are_4xx_problems_and_change_nothing(
    cluster: Cluster, directory: httpx.Client, params: dict[str, Any]
) -> None:
    before = sql(cluster, "catalog", "SELECT count(*) FROM institutions")[0][0]
    response = directory.get("/v1/institutions", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"][0]["field"] in params
    assert sql(cluster, "catalog", "SELECT count(*) FROM institutions")[0][0] == before
