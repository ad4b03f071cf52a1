"""A worker serves Prometheus metrics on its own port when configured (Kubernetes: 9100)."""

import sys
from pathlib import Path

import httpx

from medrec_devstack.cluster import Cluster
from medrec_devstack.processes import Process, free_port
from tests.support.actors import eventually


def test_a_worker_serves_its_metrics(cluster: Cluster) -> None:
    port = free_port()
    # A second identity worker: housekeeping and an outbox relay (PersonVerified), as the first
    # one runs; relays share the outbox (FOR UPDATE SKIP LOCKED), so it changes nothing.
    env = cluster.env("identity", "worker") | {"MEDREC_IDENTITY_WORKER_METRICS_PORT": str(port)}
    binary = str(Path(sys.executable).parent / "medrec-identity-worker")
    log = cluster.logs / "identity-worker-metrics.log"
    worker = Process("identity-worker-metrics", [binary], log, env=env).start()
    try:

        def metrics() -> str | None:
            assert worker.alive(), "the worker exited"
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.TransportError:
                return None
            return response.text if response.status_code == 200 else None

        text = eventually(metrics, timeout=60, what="the worker's /metrics")
        assert "# TYPE medrec_events_published_total counter" in text
        assert "# TYPE medrec_events_handled_total counter" in text
    finally:
        worker.stop()
