"""Resources a service process opens once: the database, the outbox, the Kafka producer and
consumers, all closed on the way out."""

import asyncio
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import get_args

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table

from medrec_shared.platform.db import Database
from medrec_shared.platform.deadletters.retry import DeadLetterRetries
from medrec_shared.platform.envelope import EventRules
from medrec_shared.platform.kafka import consumer_group
from medrec_shared.platform.messaging import (
    BatchHandler,
    Handler,
    InboxConsumer,
    MessagingTables,
    Outbox,
    OutboxRelay,
    Prefetch,
    new_consumer,
    new_producer,
)
from medrec_shared.platform.observability.lag import ConsumerLag, groups_by_topic
from medrec_shared.platform.observability.refresh import pool_probe, refresh
from medrec_shared.platform.settings import ServiceSettings, TopicSetting
from medrec_shared.platform.worker import Task

TOPIC_SETTINGS: tuple[TopicSetting, ...] = get_args(TopicSetting)


@dataclass(frozen=True)
class ConsumerTables:
    """A consuming service's inbox and its dead letters (both in its own database)."""

    inbox: Table
    dead_letters: Table


async def open_database(stack: AsyncExitStack, settings: ServiceSettings) -> Database:
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    stack.push_async_callback(db.dispose)
    return db


async def open_producer(
    stack: AsyncExitStack, settings: ServiceSettings, name: str
) -> AIOKafkaProducer:
    producer = new_producer(
        settings.kafka_access(),
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
    tables: ConsumerTables,
    name: str,
    handlers: dict[str, Handler],
    *,
    outbox: Outbox,
    rules: EventRules,
    prefetch: Prefetch | None = None,
    batch_handlers: Mapping[str, BatchHandler] | None = None,
) -> Task:
    """A consumer named `name` in the inbox, reading the topics `rules.consumes[name]` names
    and refusing what `rules` refuse (medrec_shared.rules.topics.EVENT_RULES), and the retries of
    its dead letters that operators ask for. What the handlers announce goes to `outbox`, in the
    event's own transaction. Its Kafka group is `name` too unless the settings name another
    (`kafka_consumer_group`)."""
    group = consumer_group(name, settings.kafka_consumer_group)
    topic_names = {setting: getattr(settings, setting) for setting in TOPIC_SETTINGS}
    topics = [topic_names[setting] for setting in rules.consumes[name]]
    consumer = new_consumer(settings.kafka_access(), group, topics)
    await _start_with_retry(consumer.start)
    stack.push_async_callback(consumer.stop)
    inbox = InboxConsumer(
        name,
        db.sessions,
        tables.inbox,
        consumer,
        handlers,
        dead_letters=tables.dead_letters,
        topic_names=topic_names,
        rules=rules,
        max_attempts=settings.consumer_max_attempts,
        prefetch=prefetch,
        outbox=outbox,
        batch_handlers=batch_handlers,
    )
    retries = DeadLetterRetries(inbox)

    async def run(stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(inbox.run(stop))
            group.create_task(retries.run(stop))

    return run


WORKER_REFRESH_SECONDS = 10.0


def monitoring_tasks(
    settings: ServiceSettings,
    name: str,
    db: Database,
    *,
    rules: EventRules,
    produced: Iterable[TopicSetting],
) -> dict[str, Task]:
    """The worker's gauges: its database pool, and the lag of every consumer group reading a
    topic `name` produces to (`produced`: medrec_shared.rules.topics.produces(name)), read from
    the broker (the APIs cannot reach it). Neither ever fails the worker."""
    topic_names = {setting: getattr(settings, setting) for setting in TOPIC_SETTINGS}
    consumes = {
        consumer: [topic_names[setting] for setting in read]
        for consumer, read in rules.consumes.items()
    }
    own_group = {name: consumer_group(name, settings.kafka_consumer_group)}
    readers = groups_by_topic([topic_names[s] for s in produced], consumes, own_group)
    lag = ConsumerLag(
        settings.kafka_access(), f"{settings.kafka_client_id_prefix}-{name}-lag", readers
    )

    async def pool(stop: asyncio.Event) -> None:
        await refresh(stop, [pool_probe(name, db)], WORKER_REFRESH_SECONDS)

    return {"consumer-lag": lag.run, "db-pool": pool}


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
