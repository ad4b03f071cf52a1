"""Every API process serves Prometheus metrics on a port of its own, and none on its public port
(issue #25, item 8): the monitoring namespace is let reach that port only (Kubernetes: 9100),
never the API's routes, and nothing on the API's port tells a caller what it counts."""

import httpx
import pytest

from medrec_devstack.cluster import CONSOLE, PORTAL, SERVICES, Cluster


@pytest.mark.parametrize("service", [*SERVICES, PORTAL, CONSOLE])
def test_an_api_serves_its_metrics_on_their_own_port_only(cluster: Cluster, service: str) -> None:
    api = cluster.url(service)
    assert httpx.get(f"{api}/healthz", timeout=10).status_code == 200

    scraped = httpx.get(cluster.metrics_url(service), timeout=10)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    # The API process's own counters: the request just made is in them.
    assert "# TYPE medrec_http_requests_total counter" in scraped.text
    assert 'medrec_http_requests_total{method="GET",route="/healthz",status="200"}' in scraped.text

    on_the_api_port = httpx.get(f"{api}/metrics", timeout=10)
    assert on_the_api_port.status_code == 404
    assert "medrec_http_requests_total" not in on_the_api_port.text
