"""What a durable broker costs: the local stack's Tansu (its log on the local S3 server) beside
a throwaway Tansu in memory, both sent the same events the way ingest's relay sends them
(batches of 200, each awaited before the next)."""

import asyncio
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from medrec_devstack import broker
from medrec_devstack.cluster import Cluster
from medrec_shared.platform.messaging import ensure_topics

EVENTS = 5000
BATCH = 200  # the relay's batch
ENVELOPE = b'{"type":"RecordStored","data":{"record_id":"%06d"}}' + b" " * 300


async def _produce(bootstrap: str, topic: str) -> float:
    """Seconds to publish EVENTS events in relay-sized batches."""
    await ensure_topics(bootstrap, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        started = time.perf_counter()
        for first in range(0, EVENTS, BATCH):
            sends = [
                await producer.send(topic, ENVELOPE % n, key=b"%d" % (n % 97))
                for n in range(first, min(first + BATCH, EVENTS))
            ]
            await asyncio.gather(*sends)
        return time.perf_counter() - started
    finally:
        await producer.stop()


def rates(cluster: Cluster) -> tuple[float, float]:
    """Events per second: (the stack's broker on S3, a broker in memory)."""
    assert cluster.infra is not None
    durable = EVENTS / asyncio.run(_produce(cluster.infra.kafka_bootstrap, "bench.broker.v1"))
    with tempfile.TemporaryDirectory(prefix="medrec-bench-broker-") as state:
        address, process = broker.start(Path(state), broker.binary(), "memory", "", "", "")
        try:
            in_memory = EVENTS / asyncio.run(_produce(address, "bench.broker.v1"))
        finally:
            process.stop()
    return durable, in_memory
