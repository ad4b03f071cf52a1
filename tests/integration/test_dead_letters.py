"""Poison, forged and early events over the real broker (issue #12, items 5 and 6): published
straight to ingest's topic, as a broken or hostile producer would, on one partition (one key),
between good events. The poison event is parked after its attempts and the events behind it
are handled; a forged producer and an early retention date destroy nothing and are parked at
once; /metrics counts them; platform staff list them (without the payload) and retries the early
one once its date has come: it is applied once."""

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from medrec_devstack.cluster import Cluster
from medrec_devstack.processes import free_port
from medrec_shared.platform.clock import KST
from medrec_shared.platform.ids import new_id
from tests.support.actors import Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.ingest import IngestStore
from tests.support.stack import group_lag, topic_envelopes
from tests.support.staff import StaffClient, audited, staff_on

TOPIC = "medrec.record.v1"
RRN, NAME, BIRTH = "770707-1666666", "독성사건", "1977-07-07"
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Lab:
    store: IngestStore
    admin: StaffClient  # platform staff, on ingest
    metrics_url: str
    clock_file: Path
    ids: dict[str, str]  # external id -> record id
    own_until: dict[str, str]  # external id -> its own retention date


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[Lab]:
    """Three records (two long past their period, one far from it) and ingest's worker with few
    attempts, its /metrics, and a clock of its own."""
    operator = Operator(cluster)
    vendor = Depositor(cluster, *operator.register_client([code := new_code()]))
    transfer = vendor.open_transfer(code, "독성검사의원")
    records = {
        "old-1": ("prescription", "2015-05-02", "2017-05-02"),
        "old-2": ("prescription", "2015-06-02", "2017-06-02"),
        "recent": ("medical_record", "2025-11-01", "2035-11-01"),
    }
    for external_id, (kind, end, _) in records.items():
        body = record_body(
            RRN, NAME, BIRTH, inline(f"{NAME} 기록".encode(), "text/plain"),
            kind=kind, service_start=end, service_end=end,
        )  # fmt: skip
        assert vendor.put_record(transfer, external_id, body).status_code == 201
    store = IngestStore(cluster)
    ids = {r["external_id"]: str(r["record_id"]) for r in store.records(transfer)}
    port, clock_file = free_port(), cluster.state / "clock-dead-letters"
    clock_file.write_text("")
    cluster.stop_process("ingest", "worker")
    cluster.start_process(
        "ingest",
        "worker",
        {
            "MEDREC_INGEST_CONSUMER_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "MEDREC_INGEST_WORKER_METRICS_PORT": str(port),
            "MEDREC_INGEST_CLOCK_FILE": str(clock_file),
        },
    )
    admin = staff_on(cluster, "ingest", "platform", prefix="platform")
    try:
        yield Lab(
            store,
            admin,
            f"http://127.0.0.1:{port}/metrics",
            clock_file,
            ids,
            {external_id: until for external_id, (_, _, until) in records.items()},
        )
    finally:
        cluster.stop_process("ingest", "worker")
        cluster.start_process("ingest", "worker")


def envelope(producer: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(new_id()),
        "type": "RecordRetentionDue",
        "occurred_at": datetime.now(KST).isoformat(),
        "producer": producer,
        "correlation_id": uuid.uuid4().hex,
        "data": data,
    }


def publish(cluster: Cluster, key: str, envelopes: list[dict[str, Any]]) -> None:
    """Straight to the topic, in order, under one key: one partition, as one person's are."""
    assert cluster.infra is not None
    bootstrap = cluster.infra.kafka_bootstrap

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for e in envelopes:
                await producer.send_and_wait(TOPIC, json.dumps(e).encode(), key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(run())


def held(lab: Lab, external_id: str) -> bool:
    found = lab.store.fetch(
        "SELECT 1 FROM records WHERE record_id = $1", uuid.UUID(lab.ids[external_id])
    )
    return bool(found)


def parked(lab: Lab, status: str = "parked") -> dict[str, dict[str, Any]]:
    response = lab.admin.get("/v1/admin/dead-letters", params={"status": status, "limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    while cursor := response.json()["next_cursor"]:
        response = lab.admin.get(
            "/v1/admin/dead-letters", params={"status": status, "limit": 500, "cursor": cursor}
        )
        items += response.json()["items"]
    return {item["event_id"]: item for item in items if item["event_id"]}


def dead_lettered(lab: Lab) -> float:
    text = httpx.get(lab.metrics_url, timeout=5).text
    found = re.search(
        r'^medrec_events_dead_lettered_total\{consumer="ingest",event_type="RecordRetentionDue"\}'
        r" (\S+)$",
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_bad_events_are_parked_and_the_partition_moves_on(cluster: Cluster, lab: Lab) -> None:
    poison = envelope("catalog", {"record_id": RRN, "retention_until": NAME})
    good = envelope(
        "catalog", {"record_id": lab.ids["old-1"], "retention_until": lab.own_until["old-1"]}
    )
    forged = envelope(
        "issuance", {"record_id": lab.ids["old-2"], "retention_until": lab.own_until["old-2"]}
    )
    early = envelope(
        "catalog", {"record_id": lab.ids["recent"], "retention_until": lab.own_until["recent"]}
    )
    publish(cluster, f"poison-{uuid.uuid4()}", [poison, good, forged, early])

    # The good event behind the poison one is handled: the partition was not stalled.
    eventually(lambda: not held(lab, "old-1"), timeout=120, what="the good event to be applied")
    eventually(
        lambda: {poison["event_id"], forged["event_id"], early["event_id"]} <= set(parked(lab)),
        timeout=60,
        what="the three bad events to be parked",
    )
    eventually(
        lambda: group_lag(cluster, "ingest", [TOPIC]) == 0, what="ingest's offsets to move on"
    )
    assert held(lab, "old-2"), "a forged producer destroyed nothing"
    assert held(lab, "recent"), "an early event destroyed nothing"

    entries = parked(lab)
    assert entries[poison["event_id"]]["attempts"] == MAX_ATTEMPTS
    assert entries[poison["event_id"]]["error_type"] == "ValidationError"
    assert entries[forged["event_id"]]["attempts"] == 1  # refused: parked at once
    assert entries[forged["event_id"]]["error"] == (
        "refused: RecordRetentionDue from a service that does not own it"
    )
    assert entries[forged["event_id"]]["producer"] == "issuance"
    assert entries[early["event_id"]]["attempts"] == 1
    assert entries[early["event_id"]]["error_type"] == "NotDue"
    assert entries[early["event_id"]]["error"] == (
        "refused: the record's own retention period has not ended"
    )
    for item in (entries[e["event_id"]] for e in (poison, forged, early)):
        assert item["consumer"] == "ingest" and item["topic"] == TOPIC
        assert item["event_type"] == "RecordRetentionDue" and item["status"] == "parked"
    listing = lab.admin.get("/v1/admin/dead-letters", params={"limit": 500}).text
    worker_log = (cluster.logs / "ingest-worker.log").read_text()
    for text in (listing, worker_log):
        assert RRN not in text and NAME not in text, "the payload stays out"

    eventually(lambda: dead_lettered(lab) >= 3, what="/metrics to count them")
    assert dead_lettered(lab) == 3
    destroyed = [
        e for e in topic_envelopes(cluster, TOPIC)
        if e["type"] == "RecordDestroyed" and e["data"]["record_id"] in lab.ids.values()
    ]  # fmt: skip
    assert [e["data"]["record_id"] for e in destroyed] == [lab.ids["old-1"]]


def test_dead_letters_need_their_scope(cluster: Cluster, lab: Lab) -> None:
    anonymous = httpx.Client(base_url=cluster.url("ingest"), timeout=30)
    assert anonymous.get("/v1/admin/dead-letters").status_code == 401
    assert anonymous.post("/v1/admin/dead-letters/1/retry").status_code == 401
    reviewer = staff_on(cluster, "ingest", "reviewer", prefix="reviewer")  # no dead-letters:manage
    assert reviewer.get("/v1/admin/dead-letters").status_code == 403
    assert reviewer.post("/v1/admin/dead-letters/1/retry").status_code == 403
    assert lab.admin.post("/v1/admin/dead-letters/999999999/retry").status_code == 404
    assert lab.admin.get("/v1/admin/dead-letters", params={"status": "lost"}).status_code == 422


def test_a_retry_after_the_cause_is_fixed_applies_the_event_once(
    cluster: Cluster, lab: Lab
) -> None:
    early = envelope(
        "catalog", {"record_id": lab.ids["recent"], "retention_until": lab.own_until["recent"]}
    )
    publish(cluster, f"early-{uuid.uuid4()}", [early])
    entry = eventually(lambda: parked(lab).get(early["event_id"]), what="the early event parked")

    # Retried too soon, it is parked again with one attempt more.
    retry = lab.admin.post(f"/v1/admin/dead-letters/{entry['id']}/retry")
    assert retry.status_code == 202, retry.text
    assert retry.json()["status"] == "retry_requested"
    # asked for by a person, in the audit trail under their login
    auditor = staff_on(cluster, "catalog", "auditor", prefix="auditor")
    asked = audited(auditor, actor=lab.admin.login, act="dead_letter.retry")
    assert asked[0]["resource_id"] == str(entry["id"])
    again = eventually(
        lambda: (e := parked(lab).get(early["event_id"])) and e["attempts"] == 2 and e,
        what="the too-early retry to fail",
    )
    assert held(lab, "recent") and again["status"] == "parked"

    # The record's period ends (by ingest's own clock): the retry destroys it, once.
    lab.clock_file.write_text(datetime(2035, 11, 3, 9, tzinfo=KST).isoformat())
    try:
        assert lab.admin.post(f"/v1/admin/dead-letters/{entry['id']}/retry").status_code == 202
        eventually(
            lambda: early["event_id"] in parked(lab, "retried"), what="the retry to be applied"
        )
    finally:
        lab.clock_file.write_text("")
    assert not held(lab, "recent")
    assert early["event_id"] not in parked(lab)
    second = lab.admin.post(f"/v1/admin/dead-letters/{entry['id']}/retry")
    assert second.status_code == 409, second.text
    log = lab.store.fetch(
        "SELECT reason FROM destruction_log WHERE record_id = $1", uuid.UUID(lab.ids["recent"])
    )
    assert [r["reason"] for r in log] == ["retention_expired"]
    eventually(
        lambda: [
            e for e in topic_envelopes(cluster, TOPIC)
            if e["type"] == "RecordDestroyed" and e["data"]["record_id"] == lab.ids["recent"]
        ],
        what="RecordDestroyed for the retried event",
    )  # fmt: skip
