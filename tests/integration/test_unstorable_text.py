"""Text PostgreSQL cannot store (NUL, a lone surrogate) in any query, path or body field is a 422
problem naming the field, on every service, and changes nothing; a database error never carries
the statement's bound values."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medrec_devstack.cluster import Cluster
from medrec_devstack.infra import Infra
from medrec_shared.platform.db import Database
from tests.support.actors import Citizen, Operator, bearer
from tests.support.stack import sql

NUL = "\x00"


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"field": field, "message": problem["errors"][0]["message"]} in problem["errors"]
    assert "NUL" in problem["errors"][0]["message"]


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> Operator:
    return Operator(cluster)


def clients(cluster: Cluster) -> int:
    return int(sql(cluster, "identity", "SELECT count(*) FROM api_clients")[0][0])


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/institutions", {"q": f"행복{NUL}"}, "q"),
        ("/v1/institutions", {"region": NUL}, "region"),
        ("/v1/institutions/%00", {}, "code"),
    ],
)
def test_the_public_directory_refuses_nul(
    cluster: Cluster, path: str, params: dict[str, str], field: str
) -> None:
    response = httpx.get(cluster.url("catalog") + path, params=params, timeout=30)
    assert_refused(response, field)


def test_a_service_client_path_with_nul_is_refused(cluster: Cluster, operator: Operator) -> None:
    token = cluster.client_token(*cluster.provision_service_client("test", ["catalog:read"]))
    response = httpx.get(
        f"{cluster.url('catalog')}/internal/v1/persons/a%00b/records",
        headers=bearer(token),
        timeout=30,
    )
    assert_refused(response, "person_key")


@pytest.mark.parametrize(
    "raw_name",
    [
        '"테스트\\u0000EMR"',  # NUL: PostgreSQL's text cannot hold it
        '"테스트\\ud800EMR"',  # a lone surrogate: no UTF-8 form at all
    ],
)
def test_a_json_body_field_is_refused_and_nothing_is_registered(
    cluster: Cluster, operator: Operator, raw_name: str
) -> None:
    before = clients(cluster)
    body = '{"name": ' + raw_name + ', "institution_codes": [], "scopes": ["transfer:write"]}'
    response = operator.identity.post(
        "/v1/clients",
        content=body.encode(),
        headers=bearer(operator.token) | {"Content-Type": "application/json"},
    )
    assert_refused(response, "name")
    assert clients(cluster) == before


def test_a_nested_body_field_is_named(cluster: Cluster, operator: Operator) -> None:
    response = operator.identity.post(
        "/v1/clients",
        json={
            "name": "테스트",
            "institution_codes": ["1234567" + NUL],
            "scopes": ["transfer:write"],
        },
        headers=bearer(operator.token),
    )
    assert_refused(response, "institution_codes.0")


def test_a_citizen_verification_with_nul_in_the_name_starts_nothing(cluster: Cluster) -> None:
    def verifications() -> int:
        return int(sql(cluster, "identity", "SELECT count(*) FROM verifications")[0][0])

    before = verifications()
    response = httpx.post(
        f"{cluster.url('identity')}/v1/verifications",
        json={"method": "mobile", "name": f"홍{NUL}길동", "rrn": "900101-1000014",
              "phone": "010-1234-5678"},
        timeout=30,
    )  # fmt: skip
    assert_refused(response, "name")
    assert verifications() == before


def test_a_copy_request_with_nul_in_its_purpose_creates_nothing(cluster: Cluster) -> None:
    citizen = Citizen(cluster, "배수지", "940110-2000011")

    def issuances() -> int:
        return int(sql(cluster, "issuance", "SELECT count(*) FROM issuances")[0][0])

    before = issuances()
    response = citizen.issuance.post(
        "/v1/issuances",
        json={"record_ids": ["00000000-0000-7000-8000-000000000001"], "purpose": f"보험{NUL}"},
    )
    assert_refused(response, "purpose")
    assert issuances() == before


def test_a_proxy_request_form_field_holding_json_with_nul_is_refused(cluster: Cluster) -> None:
    citizen = Citizen(cluster, "배수지", "940110-2000011")
    request: dict[str, Any] = {
        "patient": {"name": f"배{NUL}민수", "rrn": "400101-1000015"},
        "relation": "spouse",
    }
    response = citizen.issuance.post(
        "/v1/proxy-requests",
        data={"request": json.dumps(request)},  # json.dumps writes NUL as the escape \u0000
        files={"consent_form": ("consent.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    assert_refused(response, "request.patient.name")


def test_a_database_error_never_carries_bound_values(infra: Infra) -> None:
    rrn = "900101-1234567"

    async def fail() -> str:
        database = Database(f"{infra.database_url}/postgres")
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT :who, 1 / :zero"), {"who": rrn, "zero": 0})
        except DBAPIError as exc:
            return str(exc)
        finally:
            await database.dispose()
        raise AssertionError("the statement did not fail")

    message = asyncio.run(fail())
    assert "division by zero" in message
    assert rrn not in message
