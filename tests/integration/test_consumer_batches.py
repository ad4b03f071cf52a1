"""A partition's polled events are applied by catalog in one transaction (ARCHITECTURE.md,
"Delivery"): a batch group's RecordStored events commit together, so the inbox rows of one
person's group share one transaction id; and a poison event among good ones makes that
transaction fail as a whole, after which the events are applied one by one: the poison one is
retried and parked alone, each good one is applied once."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import KST
from medrec_shared.platform.ids import new_id
from tests.support.actors import Depositor, Operator, eventually
from tests.support.builders import a_record, batch_line, new_code
from tests.support.stack import group_lag, in_catalog, sql, stored_event_ids

TOPIC = "medrec.record.v1"
CATALOG_TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.audit.v1"]
GROUP = 40  # one batch group (ingest's groups hold up to 100), one person: one partition


@pytest.fixture(scope="module")
def clinic(cluster: Cluster) -> Iterator[tuple[Depositor, str]]:
    vendor = Depositor(cluster, *Operator(cluster).register_client([code := new_code()]))
    yield vendor, vendor.open_transfer(code, "한번에의원")


def quiet(cluster: Cluster) -> None:
    """Everything produced so far is relayed and consumed: what follows polls alone."""
    eventually(
        lambda: not sql(cluster, "ingest", "SELECT 1 FROM outbox WHERE sent_at IS NULL"),
        what="ingest's outbox to drain",
    )
    eventually(lambda: group_lag(cluster, "catalog", CATALOG_TOPICS) == 0, what="catch-up")


def test_a_groups_events_are_applied_in_one_transaction(
    cluster: Cluster, clinic: tuple[Depositor, str]
) -> None:
    vendor, transfer_id = clinic
    quiet(cluster)
    lines = [batch_line(f"together-{n:03d}", a_record(title=f"기록 {n}")) for n in range(GROUP)]
    answers = vendor.batch(transfer_id, lines)
    assert {a["status"] for a in answers} == {"created"}
    ids = [uuid.UUID(a["record_id"]) for a in answers]

    eventually(lambda: in_catalog(cluster, ids) == GROUP, what="catalog to list the group")
    events = stored_event_ids(cluster, ids)
    assert len(events) == GROUP
    # xmin: the transaction that inserted the row. One for the group's inbox rows and records.
    inbox = sql(
        cluster,
        "catalog",
        "SELECT count(*) AS n, count(DISTINCT xmin::text) AS transactions FROM inbox "
        "WHERE consumer = 'catalog' AND event_id = ANY($1::uuid[])",
        events,
    )[0]
    records = sql(
        cluster,
        "catalog",
        "SELECT count(DISTINCT xmin::text) FROM records WHERE record_id = ANY($1::uuid[])",
        ids,
    )[0][0]
    assert (inbox["n"], inbox["transactions"], records) == (GROUP, 1, 1)


def stored(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(new_id()),
        "type": "RecordStored",
        "occurred_at": datetime.now(KST).isoformat(),
        "producer": "ingest",
        "correlation_id": uuid.uuid4().hex,
        "data": data,
    }


def a_stored_record_ingest_does_not_hold() -> dict[str, Any]:
    """A well-formed RecordStored of a record ingest does not know: catalog applies it (its
    inbox row) and lists nothing, as for a record withdrawn before catalog heard of it."""
    return stored(
        {
            "record_id": str(uuid.uuid4()), "transfer_id": str(uuid.uuid4()),
            "institution_code": "42999999", "person_key": "a" * 64, "kind": "medical_record",
            "specialty": "medical", "service_start": "2019-03-02", "service_end": "2019-03-09",
            "content_type": "text/plain", "size": 10, "sha256": "b" * 64,
        }
    )  # fmt: skip


def publish(cluster: Cluster, key: str, envelopes: list[dict[str, Any]]) -> None:
    """In one batch under one key: one partition, polled together."""
    assert cluster.infra is not None
    bootstrap = cluster.infra.kafka_bootstrap

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=50)
        await producer.start()
        try:
            sent = [
                await producer.send(TOPIC, json.dumps(e).encode(), key=key.encode())
                for e in envelopes
            ]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    asyncio.run(run())


def test_a_poison_event_in_a_batch_is_parked_alone_and_the_rest_applied_once(
    cluster: Cluster,
) -> None:
    good = [a_stored_record_ingest_does_not_hold() for _ in range(4)]
    poison = stored({"record_id": "not a record id"})  # a valid envelope, an invalid event
    quiet(cluster)
    publish(cluster, f"poison-{uuid.uuid4()}", [good[0], good[1], poison, good[2], good[3]])
    ours = [uuid.UUID(e["event_id"]) for e in [*good, poison]]

    def parked() -> list[Any]:
        return sql(
            cluster,
            "catalog",
            "SELECT event_id, attempts, error_type FROM dead_letters "
            "WHERE consumer = 'catalog' AND event_id = ANY($1::uuid[])",
            ours,
        )

    eventually(lambda: parked(), timeout=120, what="the poison event to be parked")
    eventually(lambda: group_lag(cluster, "catalog", [TOPIC]) == 0, what="the offsets to move on")
    [entry] = parked()
    assert entry["event_id"] == uuid.UUID(poison["event_id"])
    # Retried alone until its attempts ran out (a refusal would be parked at the first).
    assert entry["attempts"] > 1 and entry["error_type"] == "ValidationError"
    inbox = sql(
        cluster,
        "catalog",
        "SELECT event_id, count(*) AS n FROM inbox WHERE consumer = 'catalog' "
        "AND event_id = ANY($1::uuid[]) GROUP BY event_id",
        ours,
    )
    assert {r["event_id"]: r["n"] for r in inbox} == {uuid.UUID(e["event_id"]): 1 for e in good}
