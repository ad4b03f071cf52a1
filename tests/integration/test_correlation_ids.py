"""A running service keeps a caller's short, plain X-Correlation-ID and answers with it; a long or
non-ASCII one is not carried into its logs, events and answers: the flow gets a new id."""

import re

import httpx
import pytest

from medrec_devstack.cluster import SERVICES, Cluster
from tests.support.actors import eventually

HEADER = "X-Correlation-ID"
NEW_ID = re.compile(r"[0-9a-f]{32}")


def answered_id(cluster: Cluster, service: str, sent: bytes, path: str = "/healthz") -> str:
    response = httpx.get(f"{cluster.url(service)}{path}", headers=[(HEADER.encode(), sent)])
    assert response.status_code == 200
    return response.headers[HEADER]


@pytest.mark.parametrize("service", SERVICES)
def test_a_plain_correlation_id_is_kept(cluster: Cluster, service: str) -> None:
    assert answered_id(cluster, service, b"vendor-run.42_a") == "vendor-run.42_a"


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    "sent", [b"a" * 10_240, "홍길동".encode()], ids=["10-KiB", "non-ASCII"]
)  # fmt: skip
def test_a_long_or_non_ascii_correlation_id_is_replaced(
    cluster: Cluster, service: str, sent: bytes
) -> None:
    made = answered_id(cluster, service, sent)
    assert NEW_ID.fullmatch(made), made[:80]


def test_the_replaced_id_is_the_one_the_service_logs(cluster: Cluster) -> None:
    made = answered_id(cluster, "catalog", b"b" * 10_240, "/v1/institutions")
    log = cluster.logs / "catalog-api.log"
    eventually(lambda: made in log.read_text(errors="replace"), what="the request's log line")
    assert "b" * 100 not in log.read_text(errors="replace")
