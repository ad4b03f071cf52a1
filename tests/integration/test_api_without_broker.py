"""Only the workers speak to Kafka (issue #25, item 9): an API writes its events to the outbox
table, which its worker relays, so an API process is given no broker address or credentials at
all and is ready without one; a worker without one refuses to start instead of waiting."""

import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import SERVICES, Cluster
from medrec_devstack.processes import Process, free_port
from tests.support.actors import eventually

BIN = Path(sys.executable).parent


def without_broker(env: dict[str, str]) -> dict[str, str]:
    """`env` with no Kafka setting, and none inherited from this process's environment."""
    inherited = {name: "" for name in os.environ if "_KAFKA_" in name}
    return inherited | {name: value for name, value in env.items() if "_KAFKA_" not in name}


@pytest.mark.parametrize("service", SERVICES)
def test_an_api_without_any_broker_setting_serves_and_is_ready(
    cluster: Cluster, service: str
) -> None:
    port = free_port()
    env = without_broker(cluster.env(service)) | {f"MEDREC_{service.upper()}_API_PORT": str(port)}
    log = cluster.logs / f"{service}-api-without-broker.log"
    api = Process(
        f"{service}-api-without-broker", [str(BIN / f"medrec-{service}-api")], log, env=env
    )
    api.start()
    try:

        def readiness() -> dict[str, Any] | None:
            assert api.alive(), f"the api exited: {api.last_log_line()}"
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            except httpx.TransportError:
                return None
            return response.json() if response.status_code == 200 else None

        ready = eventually(readiness, timeout=90, what=f"{service}'s /readyz")
        assert "broker" not in ready["checks"]
        assert set(ready["checks"].values()) == {"ok"}
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
        assert spec.status_code == 200
    finally:
        api.stop()


def test_a_worker_without_a_broker_refuses_to_start(cluster: Cluster) -> None:
    env = without_broker(cluster.env("catalog", "worker"))
    log = cluster.logs / "catalog-worker-without-broker.log"
    worker = Process(
        "catalog-worker-without-broker", [str(BIN / "medrec-catalog-worker")], log, env=env
    )
    worker.start()
    try:
        assert worker.wait(60) not in (0, None)
        assert "MEDREC_CATALOG_KAFKA_BOOTSTRAP_SERVERS" in log.read_text()
    finally:
        worker.stop()
