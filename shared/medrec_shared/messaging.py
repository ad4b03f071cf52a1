"""Transactional outbox, its relay, and the inbox-deduplicated consumer (ARCHITECTURE.md,
"Delivery"): a crash anywhere loses nothing and applies nothing twice."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from prometheus_client import Counter
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_shared import failpoints
from medrec_shared.events import Envelope, EventData
from medrec_shared.logs import get_logger, set_correlation_id
from medrec_shared.worker import sleep_or_stop

log = get_logger(__name__)
EVENTS_PUBLISHED = Counter("medrec_events_published_total", "Events relayed", ["topic"])
EVENTS_HANDLED = Counter("medrec_events_handled_total", "Events consumed", ["type", "outcome"])


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return MessagingTables(outbox, inbox)


class Outbox:
    """Writes events in the caller's transaction, beside the state change they announce."""

    def __init__(self, table: Table, producer: str) -> None:
        self.table = table
        self.producer = producer

    async def add(
        self, session: AsyncSession, topic: str, key: str | uuid.UUID, data: EventData
    ) -> Envelope:
        envelope = Envelope.wrap(self.producer, data)
        await session.execute(
            insert(self.table).values(
                event_id=envelope.event_id,
                topic=topic,
                key=str(key),
                envelope=envelope.model_dump(mode="json"),
            )
        )
        return envelope


def kafka_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    return [
        ("correlation_id", envelope.correlation_id.encode()),
        ("event_type", envelope.type.encode()),
    ]


class OutboxRelay:
    """Publishes unsent outbox rows and marks them sent. Several relays may run: rows are
    claimed with FOR UPDATE SKIP LOCKED. A crash between publish and commit republishes, and
    consumers' inboxes drop the duplicate."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 200,
        idle_seconds: float = 0.1,
    ) -> None:
        self.sessions = sessions
        self.table = table
        self.producer = producer
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds

    async def relay_once(self) -> int:
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        self.table.c.id, self.table.c.topic, self.table.c.key, self.table.c.envelope
                    )
                    .where(self.table.c.sent_at.is_(None))
                    .order_by(self.table.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            sends = []
            for row in rows:
                envelope = Envelope.model_validate(row.envelope)
                sends.append(
                    await self.producer.send(
                        row.topic,
                        value=json.dumps(row.envelope).encode(),
                        key=row.key.encode(),
                        headers=kafka_headers(envelope),
                    )
                )
            for sent, row in zip(sends, rows, strict=True):
                await sent
                EVENTS_PUBLISHED.labels(row.topic).inc()
            failpoints.hit("relay.after_publish")
            await session.execute(
                update(self.table)
                .where(self.table.c.id.in_([r.id for r in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.relay_once() == 0:
                    await sleep_or_stop(stop, self.idle_seconds)
            except Exception as exc:  # the broker or database is away: retry, lose nothing
                log.warning("outbox_relay_retry", error_type=type(exc).__name__)
                await sleep_or_stop(stop, 1.0)


Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
# Called with each poll's events before they are handled one by one: a chance to fetch what the
# handlers need in one request rather than one each. Best effort: handlers must not rely on it.
Prefetch = Callable[[Sequence[Envelope]], Awaitable[None]]


class InboxConsumer:
    """Consumes topics in a consumer group. Each event's effects and its inbox row commit in one
    transaction; the Kafka offset is committed after that, so a redelivery is recognised and
    skipped."""

    def __init__(
        self,
        name: str,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        consumer: AIOKafkaConsumer,
        handlers: dict[str, Handler],
        *,
        alert_after: int = 5,
        prefetch: Prefetch | None = None,
    ) -> None:
        self.name = name
        self.prefetch = prefetch
        self.sessions = sessions
        self.inbox = inbox
        self.consumer = consumer
        self.handlers = handlers
        self.alert_after = alert_after

    async def handle(self, envelope: Envelope) -> str:
        """Applies one event once: "applied", "duplicate" (applied before), or "ignored" (no
        handler: nothing to apply, so neither a transaction nor an inbox row)."""
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                pg_insert(self.inbox)
                .values(consumer=self.name, event_id=envelope.event_id)
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if claimed.first() is None:
                return "duplicate"
            await handler(session, envelope)
        return "applied"

    async def _handle_with_retries(self, envelope: Envelope, stop: asyncio.Event) -> None:
        """Retries a failing event until it applies: skipping it would lose it (a record never
        listed, a destruction never done). Its partition waits meanwhile; after `alert_after`
        attempts the event is logged as stuck, once, for someone to look at (usually a
        dependency that is down; otherwise a bug to fix and deploy)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                EVENTS_HANDLED.labels(envelope.type, await self.handle(envelope)).inc()
                return
            except Exception as exc:
                if stop.is_set():
                    raise  # uncommitted: it comes again after the restart
                fields = {
                    "event_id": str(envelope.event_id),
                    "event_type": envelope.type,
                    "attempt": attempt,
                    "error_type": type(exc).__name__,
                }
                log.warning("event_handler_retry", **fields)
                if attempt == self.alert_after:
                    EVENTS_HANDLED.labels(envelope.type, "stuck").inc()
                    log.error("event_handler_stuck", **fields)
                await sleep_or_stop(stop, min(0.2 * 2**attempt, 30.0))
                if stop.is_set():
                    raise

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._poll_once(stop)
            except KafkaError as exc:
                # A rebalance or a broker away: uncommitted events come again and are recognised.
                log.warning("consumer_retry", consumer=self.name, error_type=type(exc).__name__)
                await sleep_or_stop(stop, 1.0)

    async def _poll_once(self, stop: asyncio.Event) -> None:
        batches = await self.consumer.getmany(timeout_ms=200, max_records=200)
        for tp, messages in batches.items():
            envelopes = []
            for message in messages:
                try:
                    envelopes.append(Envelope.model_validate_json(message.value or b"{}"))
                except ValueError:
                    log.error("event_unreadable", topic=tp.topic, offset=message.offset)
            if self.prefetch is not None and envelopes:
                try:
                    await self.prefetch(envelopes)
                except Exception as exc:  # the handlers fetch what they miss themselves
                    log.warning("consumer_prefetch_failed", error_type=type(exc).__name__)
            for envelope in envelopes:
                set_correlation_id(envelope.correlation_id)
                await self._handle_with_retries(envelope, stop)
            # Effects are committed; a crash before this offset commit only causes redelivery.
            failpoints.hit(f"consumer.{self.name}.before_offset_commit")
            await self.consumer.commit({tp: messages[-1].offset + 1})


def new_producer(bootstrap: str, client_id: str, *, idempotence: bool) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=idempotence,
        acks="all",
        linger_ms=5,
    )


def new_consumer(bootstrap: str, group_id: str, topics: list[str]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                await admin.create_topics(missing)
    finally:
        await admin.close()
