"""The pieces of the on-call metrics that need no stack: which groups a producer's worker measures,
the worker's /healthz as its beat and tasks say, and a refusal counted by the limit's name."""

import asyncio
from typing import Any

from prometheus_client import REGISTRY

from medrec_shared.platform.observability.health import WorkerHealth, worker_app
from medrec_shared.platform.observability.lag import groups_by_topic
from medrec_shared.rules.topics import CONSUMES, lag_measured


def test_a_producer_measures_every_group_reading_what_it_writes() -> None:
    consumes = {"catalog": ["audit", "record"], "ingest": ["record"], "issuance": ["issuance"]}
    readers = groups_by_topic(["record", "audit"], consumes, {"catalog": "catalog-blue"})
    assert readers == {"audit": ["catalog-blue"], "record": ["catalog-blue", "ingest"]}


def test_the_groups_a_service_measures_are_those_reading_its_topics() -> None:
    assert lag_measured("identity") == {"catalog"}  # the audit topic
    assert lag_measured("ingest") == set(CONSUMES)  # transfer, record, audit
    assert lag_measured("issuance") == {"issuance", "catalog"}  # issuance and audit topics


def _get(app: Any, path: str) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(
        app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda s, h: status.append(s))
    )
    return status[0], body


def test_a_workers_healthz_needs_a_recent_beat_and_its_tasks_running() -> None:
    health = WorkerHealth("unit-test")
    app = worker_app(health)
    assert _get(app, "/healthz")[0].startswith("503")  # no beat yet
    health.beat()
    assert _get(app, "/healthz")[0].startswith("503")  # beating, but no task runs
    health.watch(lambda: True)
    assert _get(app, "/healthz") == ("200 OK", b'{"status": "ok"}')
    health.watch(lambda: False)  # a task ended
    assert _get(app, "/healthz")[0].startswith("503")
    assert _get(app, "/")[0].startswith("404")
    status, body = _get(app, "/metrics")
    assert status.startswith("200")
    assert b'medrec_worker_heartbeat_timestamp_seconds{service="unit-test"}' in body


def test_the_heartbeat_task_beats_until_stopped() -> None:
    health = WorkerHealth("unit-test-beat")
    health.watch(lambda: True)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(health.beating(stop))
        await asyncio.sleep(0)
        stop.set()
        await task

    asyncio.run(run())
    assert health.healthy()
    beat = REGISTRY.get_sample_value(
        "medrec_worker_heartbeat_timestamp_seconds", {"service": "unit-test-beat"}
    )
    assert beat is not None and beat > 0
