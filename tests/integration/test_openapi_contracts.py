"""Every service's OpenAPI document as served is a contract clients are generated from: its
operation ids read as names (`open_transfer`, not `open_new_transfer_v1_transfers_post`), and
the problems a route raises beyond the standard ones (429, 410, 502, 503) are declared on it,
as problems, with `Retry-After` where the answer carries it."""

import re
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import SERVICES, Cluster

PLAIN_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
PATH_FRAGMENT = re.compile(r"_(v1|internal|well_known)_|_(get|post|put|delete|patch)$")
PROBLEM = {"$ref": "#/components/schemas/Problem"}

# Where each of these statuses is raised (grep the problems: TooManyRequests and RateLimited,
# Gone, ServiceUnavailable and its outside parties' kinds, 502s), and whether Retry-After is sent.
RAISED: dict[tuple[str, str, str], dict[int, bool]] = {
    **{(service, "get", "/readyz"): {503: False} for service in SERVICES},
    ("identity", "get", "/v1/me/children"): {503: False},  # the family registry
    ("identity", "post", "/v1/me/children/{person_id}/token"): {503: False},
    ("ingest", "get", "/v1/transfers/{transfer_id}/export"): {410: False},  # grace period over
    ("catalog", "get", "/v1/admin/linkage-candidates/{candidate_id}"): {503: False},
    ("issuance", "get", "/v1/issuances/{issuance_id}/document"): {410: False},  # expired, purged
    ("issuance", "get", "/v1/verify"): {429: True},
    ("issuance", "post", "/v1/issuances/{issuance_id}/shares"): {410: False},  # copy expired
    ("issuance", "post", "/v1/shares/{token}/document"): {410: False, 429: True},
    ("issuance", "post", "/v1/verify"): {429: True},
    ("identity", "post", "/v1/verifications"): {429: True, 502: False, 503: False},
    ("identity", "post", "/v1/verifications/{verification_id}/confirm"): {
        429: False, 502: False, 503: False,
    },
}  # fmt: skip
# identity's /oauth/token answers RFC 6749's error body, not a problem, for its 400, 401 and 429:
# tests/unit/test_identity_discovery.py holds it to that.


@pytest.fixture(scope="module")
def documents(cluster: Cluster) -> dict[str, dict[str, Any]]:
    served = {}
    for service in SERVICES:
        response = httpx.get(f"{cluster.url(service)}/openapi.json")
        assert response.status_code == 200
        served[service] = response.json()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_operation_ids_are_plain_names_unique_in_their_service(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(documents[service])]
    for operation_id in ids:
        assert PLAIN_NAME.fullmatch(operation_id), operation_id
        assert not PATH_FRAGMENT.search(operation_id), operation_id
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_transfer_api_names_its_operations_as_the_kit_calls_them(
    documents: dict[str, dict[str, Any]],
) -> None:
    names = {(m, p): o["operationId"] for m, p, o in operations(documents["ingest"])}
    assert names[("post", "/v1/transfers")] == "open_transfer"
    assert names[("put", "/v1/transfers/{transfer_id}/records/{external_id}")] == "put_record"
    assert names[("post", "/v1/transfers/{transfer_id}/complete")] == "complete_transfer"


def _check_declared(
    document: dict[str, Any], method: str, path: str, statuses: dict[int, bool]
) -> None:
    responses = document["paths"][path][method]["responses"]
    for status, retry_after in statuses.items():
        assert str(status) in responses, f"{method.upper()} {path} does not declare {status}"
        declared = responses[str(status)]
        assert declared["content"]["application/problem+json"]["schema"] == PROBLEM
        assert ("Retry-After" in declared.get("headers", {})) == retry_after, (path, status)


@pytest.mark.parametrize(("service", "method", "path"), list(RAISED))
def test_the_problems_a_route_raises_are_declared(
    documents: dict[str, dict[str, Any]], service: str, method: str, path: str
) -> None:
    _check_declared(documents[service], method, path, RAISED[(service, method, path)])
