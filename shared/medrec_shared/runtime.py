"""Resources a service process opens once: the database, the outbox, the Kafka producer and
consumers, all closed on the way out."""

import asyncio
from contextlib import AsyncExitStack

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table

from medrec_shared.db import Database
from medrec_shared.messaging import (
    Handler,
    InboxConsumer,
    MessagingTables,
    OutboxRelay,
    Prefetch,
    new_consumer,
    new_producer,
)
from medrec_shared.settings import ServiceSettings
from medrec_shared.worker import Task


async def open_database(stack: AsyncExitStack, settings: ServiceSettings) -> Database:
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    stack.push_async_callback(db.dispose)
    return db


async def open_producer(
    stack: AsyncExitStack, settings: ServiceSettings, name: str
) -> AIOKafkaProducer:
    producer = new_producer(
        settings.kafka_bootstrap_servers,
        f"{settings.kafka_client_id_prefix}-{name}",
        idempotence=settings.kafka_idempotence,
    )
    await _start_with_retry(producer.start)
    stack.push_async_callback(producer.stop)
    return producer


def relay_task(
    db: Database, tables: MessagingTables, producer: AIOKafkaProducer, batch_size: int
) -> Task:
    return OutboxRelay(db.sessions, tables.outbox, producer, batch_size=batch_size).run


async def consumer_task(
    stack: AsyncExitStack,
    settings: ServiceSettings,
    db: Database,
    inbox: Table,
    name: str,
    topics: list[str],
    handlers: dict[str, Handler],
    *,
    prefetch: Prefetch | None = None,
) -> Task:
    """A consumer named `name` in the inbox; its Kafka group is `name` too unless the settings
    name another (`kafka_consumer_group`)."""
    group = settings.kafka_consumer_group or name
    consumer = new_consumer(settings.kafka_bootstrap_servers, group, topics)
    await _start_with_retry(consumer.start)
    stack.push_async_callback(consumer.stop)
    return InboxConsumer(name, db.sessions, inbox, consumer, handlers, prefetch=prefetch).run


async def _start_with_retry(start: "asyncio.Future[None] | object", attempts: int = 30) -> None:
    """The broker may come up after us (a restart, a rollout): wait for it rather than crash."""
    for attempt in range(attempts):
        try:
            await start()  # type: ignore[operator]
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.5 * (attempt + 1), 3.0))


async def broker_reachable(bootstrap: str) -> None:
    """Readiness: a TCP connection to the first reachable bootstrap server."""
    errors: list[Exception] = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.close()
            await writer.wait_closed()
            return
        except OSError as exc:
            errors.append(exc)
    raise ConnectionError("no Kafka bootstrap server reachable") from errors[-1]
