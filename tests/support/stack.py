"""Raw looks into the engines behind the services, for assertions a user cannot make through the
APIs (what is in a table, a topic, a consumer group)."""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition

from medrec_devstack.cluster import Cluster


def sql(cluster: Cluster, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
    assert cluster.infra is not None
    url = cluster.infra.database_url.replace("postgresql+asyncpg", "postgresql")

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(f"{url}/medrec_{service}")
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def in_catalog(cluster: Cluster, record_ids: list[uuid.UUID]) -> int:
    """How many of these records catalog lists."""
    query = "SELECT count(*) FROM records WHERE record_id = ANY($1::uuid[])"
    return int(sql(cluster, "catalog", query, record_ids)[0][0])


def stored_event_ids(cluster: Cluster, record_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids of the RecordStored events ingest's outbox holds for these records."""
    rows = sql(
        cluster,
        "ingest",
        "SELECT event_id FROM outbox WHERE envelope->>'type' = 'RecordStored' "
        "AND (envelope->'data'->>'record_id')::uuid = ANY($1::uuid[])",
        record_ids,
    )
    return [r["event_id"] for r in rows]


def new_database(cluster: Cluster, name: str) -> str:
    """A database of its own on the stack's server, for a test that runs a service apart; its
    SQLAlchemy URL."""
    assert cluster.infra is not None
    server = cluster.infra.database_url

    async def create() -> None:
        conn = await asyncpg.connect(f"{server.replace('+asyncpg', '')}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{server}/{name}"


def topic_envelopes(cluster: Cluster, topic: str) -> list[dict[str, Any]]:
    """Every message on the topic, read from the start without joining any group."""
    assert cluster.infra is not None
    bootstrap = cluster.infra.kafka_bootstrap

    async def run() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
            if not partitions:
                await consumer.topics()
                partitions = [
                    TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
                ]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.seek_to_beginning(*partitions)
            out: list[dict[str, Any]] = []
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    out.extend(json.loads(m.value or b"{}") for m in messages)
            return out
        finally:
            await consumer.stop()

    return asyncio.run(run())


def group_lag(cluster: Cluster, group: str, topics: list[str]) -> int:
    """Messages on `topics` not yet committed by the consumer group (read without joining it)."""
    assert cluster.infra is not None
    bootstrap = cluster.infra.kafka_bootstrap

    async def run() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or []
            ]
            ends = await consumer.end_offsets(partitions)
            lag = 0
            for tp in partitions:
                committed = await consumer.committed(tp)
                # The local broker (Tansu) may report a partition's end at the start of its last
                # multi-record batch, below a committed offset: that partition has no lag.
                lag += max(0, ends[tp] - (committed or 0))
            return lag
        finally:
            await consumer.stop()

    return asyncio.run(run())


@contextmanager
def rss_samples(pid: int | None, every: float = 0.02) -> Iterator[list[int]]:
    """The resident set of process `pid` (a running process's: `Process.pid`), sampled while the
    block runs; the first sample is taken before it starts."""
    assert pid is not None, "the process is running"
    process = psutil.Process(pid)
    samples = [process.memory_info().rss]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(process.memory_info().rss)
            time.sleep(every)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield samples
    finally:
        done.set()
        sampler.join()
