"""Browsers: the APIs answer across origins only to the origins in `cors_allowed_origins` (the
local stack: the portal, http://localhost:8000), never with credentials, and allow only the
methods and request headers the APIs use."""

import httpx
import pytest

from medrec_devstack.cluster import PORTAL_ORIGIN, SERVICES, Cluster

ROUTES = {
    "identity": "/v1/verifications",
    "ingest": "/v1/transfers",
    "catalog": "/v1/me/records",
    "issuance": "/v1/issuances",
}


def preflight(cluster: Cluster, service: str, origin: str, headers: str) -> httpx.Response:
    return httpx.options(
        cluster.url(service) + ROUTES[service],
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_preflight_from_the_portal_is_allowed_without_credentials(
    cluster: Cluster, service: str
) -> None:
    response = preflight(cluster, service, PORTAL_ORIGIN, "authorization, content-type")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL_ORIGIN
    allow_headers = response.headers["access-control-allow-headers"]
    allowed = {h.strip().lower() for h in allow_headers.split(",")}
    assert {"authorization", "content-type", "content-digest"} <= allowed
    assert "idempotency-key" not in allowed and "cookie" not in allowed
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {
        "GET", "POST", "PUT", "DELETE"
    }  # fmt: skip
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("service", SERVICES)
def test_a_preflight_from_another_origin_gets_no_cors_headers(
    cluster: Cluster, service: str
) -> None:
    for origin in ("https://evil.example", "http://localhost:8001", "null"):
        response = preflight(cluster, service, origin, "authorization")
        assert response.status_code >= 400
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers


def test_a_header_the_apis_do_not_read_is_not_allowed(cluster: Cluster) -> None:
    response = preflight(cluster, "ingest", PORTAL_ORIGIN, "authorization, x-forwarded-for")
    # Starlette answers a refused preflight with 400 (it still names the origin); the browser
    # refuses the request because the header is not among those allowed.
    assert response.status_code == 400
    allowed = response.headers.get("access-control-allow-headers", "").lower()
    assert "x-forwarded-for" not in allowed


def test_answers_name_the_portal_alone_and_expose_what_it_reads(cluster: Cluster) -> None:
    url = cluster.url("ingest") + "/v1/transfers"
    portal = httpx.get(url, headers={"Origin": PORTAL_ORIGIN})
    assert portal.status_code == 401  # no token: still readable by the portal, as a problem
    assert portal.headers["access-control-allow-origin"] == PORTAL_ORIGIN
    exposed = portal.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed and "x-correlation-id" in exposed
    assert "access-control-allow-credentials" not in portal.headers
    other = httpx.get(url, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
