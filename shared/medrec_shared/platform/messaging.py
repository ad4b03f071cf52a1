"""Transactional outbox, its relay, and the inbox-deduplicated consumer (ARCHITECTURE.md,
"Delivery"): a crash anywhere loses nothing and applies nothing twice."""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from prometheus_client import Counter
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_shared.platform import failpoints
from medrec_shared.platform.deadletters.errors import (
    EventRefused,
    UnreadableEvent,
    describe,
    is_transient,
)
from medrec_shared.platform.deadletters.repository import DeadLetterRepository, Parked
from medrec_shared.platform.envelope import Envelope, EventData, EventRules, event_kind, type_label
from medrec_shared.platform.kafka import KafkaAccess
from medrec_shared.platform.logs import get_logger, set_correlation_id
from medrec_shared.platform.settings import TopicSetting
from medrec_shared.platform.tracing import SpanKind, current_traceparent, enabled, span, start_span
from medrec_shared.platform.worker import sleep_or_stop

log = get_logger(__name__)
EVENTS_PUBLISHED = Counter("medrec_events_published_total", "Events relayed", ["topic"])
EVENTS_HANDLED = Counter("medrec_events_handled_total", "Events consumed", ["type", "outcome"])
DEAD_LETTERED = Counter(
    "medrec_events_dead_lettered_total", "Events parked in the dead-letter table",
    ["consumer", "event_type"],
)  # fmt: skip


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


@dataclass(frozen=True)
class Announcement:
    """An event for `topic`, keyed by `key` (its partition: one owner's events stay in order),
    announced in the trace of `traceparent` (traces on)."""

    topic: str
    key: str
    event: EventData
    traceparent: str | None = None


_OUTBOX = "medrec.outbox"  # session.info: the outbox of the unit of work that opened the session
_ANNOUNCED = "medrec.announced"  # session.info: what was announced in it, not yet written


def announce(session: AsyncSession, topic: str, key: str | uuid.UUID, event: EventData) -> None:
    """The one way service code emits an event: it joins the unit of work that opened `session`
    (`Transactions.begin()`, the request's `DbSession`, a consumer's event transaction), and
    every event announced in it is written to the outbox with one statement just before the
    commit. A rollback drops them with the state change they announce."""
    outbox = session.info.get(_OUTBOX)
    if not isinstance(outbox, Outbox):
        raise RuntimeError("announced in a session that no unit of work opened")
    outbox.check(event)  # refused here, where it was announced
    # The trace is the one it was announced in, though the outbox row is written at the commit.
    session.info[_ANNOUNCED].append(Announcement(topic, str(key), event, current_traceparent()))


def open_unit(session: AsyncSession, outbox: "Outbox") -> None:
    """Makes `session` a unit of work whose announcements go to `outbox` (see `announce`)."""
    session.info[_OUTBOX] = outbox
    session.info[_ANNOUNCED] = []


async def write_announcements(session: AsyncSession) -> None:
    """Writes what was announced in `session` so far to its outbox, in one statement. Its unit
    of work calls this just before the commit; a caller may call it earlier, to have the rows
    written before it takes a lock that others wait for."""
    pending: list[Announcement] = session.info.get(_ANNOUNCED) or []
    if not pending:
        return
    session.info[_ANNOUNCED] = []
    outbox: Outbox = session.info[_OUTBOX]
    await outbox.add_many(session, pending)


class Outbox:
    """Writes events in the caller's transaction, beside the state change they announce, each
    one its producer owns (`rules`: medrec_shared.rules.topics.EVENT_RULES). Service code announces
    them (`announce`); its unit of work writes them here with `add_many`."""

    def __init__(self, table: Table, producer: str, *, rules: EventRules) -> None:
        self.table = table
        self.producer = producer
        self.rules = rules
        # Built once, its values bound at execution: building `insert().values(...)` for each
        # event was 8% of catalog's CPU on a person's record list (py-spy).
        self._insert = insert(table)

    def check(self, data: EventData) -> None:
        """Refuses an event this producer does not own (`rules`): its consumers would refuse it."""
        if not self.rules.owns(self.producer, data.type):
            raise ValueError(f"{self.producer} does not own {data.type}")

    def _row(
        self, topic: str, key: str | uuid.UUID, data: EventData, traceparent: str | None
    ) -> dict[str, Any]:
        self.check(data)
        envelope = Envelope.wrap(self.producer, data, traceparent=traceparent)
        return {
            "event_id": envelope.event_id,
            "topic": topic,
            "key": str(key),
            "envelope": envelope.model_dump(mode="json"),
        }

    async def add_many(self, session: AsyncSession, announcements: Sequence[Announcement]) -> None:
        """Several events in one statement, in the caller's transaction, each checked as `add`
        checks one."""
        if not announcements:
            return
        rows = [self._row(a.topic, a.key, a.event, a.traceparent) for a in announcements]
        await session.execute(self._insert, rows)


def kafka_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    return headers_of(envelope.correlation_id, envelope.type, envelope.traceparent)


def headers_of(
    correlation_id: str, event_type: str, traceparent: str | None
) -> list[tuple[str, bytes]]:
    headers = [("correlation_id", correlation_id.encode()), ("event_type", event_type.encode())]
    if traceparent:  # W3C trace context, as any Kafka consumer that traces reads it
        headers.append(("traceparent", traceparent.encode()))
    return headers


# The transaction-level advisory lock one relay holds while it publishes (see OutboxRelay); a
# constant, as each service's outbox is in a database of its own.
RELAY_LOCK = 0x6D65_6472_6563_0001  # "medrec" 1


class OutboxRelay:
    """Publishes unsent outbox rows and marks them sent. A crash between publish and commit
    republishes, and consumers' inboxes drop the duplicate.

    Several relays may run (one per worker replica), but only one publishes at a time: each
    batch is published inside a transaction that holds `RELAY_LOCK`
    (pg_try_advisory_xact_lock), and a relay that does not get it waits for its next turn.
    Rows claimed with FOR UPDATE SKIP LOCKED alone would let two relays publish two batches at
    once, and a later event of a key (a person's RecordWithdrawn) could reach its partition
    before an earlier one (their RecordStored): consumers apply a key's events in partition
    order, so that order must be the outbox's. The lock is a transaction's, so it goes with the
    batch's commit or rollback, and with the connection of a relay that dies: another replica
    takes over within its next idle interval, with no lease to wait out. One relay at a time is
    no bottleneck: a batch is one round trip to the broker for up to `batch_size` events."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 200,
        idle_seconds: float = 0.1,
        idle_max_seconds: float = 0.2,
    ) -> None:
        self.sessions = sessions
        self.table = table
        self.producer = producer
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.idle_max_seconds = idle_max_seconds
        envelope = table.c.envelope
        self._unsent = (
            select(
                table.c.id,
                table.c.topic,
                table.c.key,
                cast(envelope, Text).label("envelope"),
                envelope["correlation_id"].astext.label("correlation_id"),
                envelope["type"].astext.label("type"),
                envelope["traceparent"].astext.label("traceparent"),
            )
            .where(table.c.sent_at.is_(None))
            .order_by(table.c.id)
            .limit(bindparam("limit"))
            .with_for_update(skip_locked=True)
        )

    async def relay_once(self) -> int:
        async with self.sessions() as session, session.begin():
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK))):
                return 0  # another replica's relay is publishing
            rows = (await session.execute(self._unsent, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            sends = []
            for row in rows:
                # The envelope as PostgreSQL prints it and its headers' fields read by
                # PostgreSQL: no JSON parsed, validated or printed again here (they were most of
                # the relay's CPU per event). The consumer parses and validates it.
                # A PRODUCER span in the event's trace, ended when the broker acknowledged it.
                publishing = enabled() and start_span(
                    f"{row.topic} publish",
                    kind=SpanKind.PRODUCER,
                    parent=row.traceparent,
                    attributes=_messaging_attributes(
                        row.topic, Envelope.model_validate_json(row.envelope), "publish"
                    ),
                )
                sends.append(
                    await self.producer.send(
                        row.topic,
                        value=row.envelope.encode(),
                        key=row.key.encode(),
                        headers=headers_of(row.correlation_id, row.type, row.traceparent),
                    )
                )
                if publishing:
                    sends[-1].add_done_callback(lambda _, s=publishing: s.end())
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
        idle = self.idle_seconds
        while not stop.is_set():
            try:
                if await self.relay_once() == 0:
                    await sleep_or_stop(stop, idle)
                    # Each look is a transaction (worker and PostgreSQL CPU, 2% of a core at
                    # 10 a second): the longer nothing comes, the less often it looks, up to
                    # `idle_max_seconds`; anything published brings it back to `idle_seconds`.
                    # Kept short: an event announced while its relay sleeps waits for it, at
                    # every hop of a chain of services.
                    idle = min(idle * 2, self.idle_max_seconds)
                else:
                    idle = self.idle_seconds
            except Exception as exc:  # the broker or database is away: retry, lose nothing
                log.warning("outbox_relay_retry", error_type=type(exc).__name__)
                await sleep_or_stop(stop, 1.0)


Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
# A type's events, consecutive in a partition, applied by one call in the poll's transaction (one
# statement for their rows rather than one each): its effects must be its Handler's applied to
# each in turn, as the one-by-one path still uses that.
BatchHandler = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]
# Called with each poll's events before they are handled one by one: a chance to fetch what the
# handlers need in one request rather than one each. Best effort: handlers must not rely on it.
Prefetch = Callable[[Sequence[Envelope]], Awaitable[None]]


def _messaging_attributes(topic: str, envelope: Envelope, operation: str) -> dict[str, str | int]:
    """An event's span attributes (OpenTelemetry's messaging conventions): ids and types only."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
        "messaging.message.id": str(envelope.event_id),
        "medrec.event_type": type_label(envelope.type),
    }


def backoff(attempt: int) -> float:
    return min(0.2 * 2**attempt, 30.0)


class InboxConsumer:
    """Consumes topics in a consumer group. Each event's effects and its inbox row commit in one
    transaction; the Kafka offsets are committed after that, so a redelivery is recognised and
    skipped. An event whose handler keeps failing is parked in the dead-letter table after
    `max_attempts` (at once when it is refused: see `medrec_shared.platform.deadletters.errors`),
    and the offset moves past it.

    A partition's polled events are first applied together, in ONE transaction (their inbox rows
    claimed by one statement, then their handlers in partition order, consecutive events of a
    type with a `batch_handlers` entry in one call): a bulk transfer's hundreds of events cost a
    commit, not hundreds. If that transaction fails for any reason (an unreadable, refused or
    poison event, a dependency away), it has changed nothing, and the events are applied one by
    one as above: the poison one is retried and parked alone, a transient failure holds the
    partition, and each event is still applied once."""

    def __init__(
        self,
        name: str,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        consumer: AIOKafkaConsumer,
        handlers: dict[str, Handler],
        *,
        dead_letters: Table,
        topic_names: Mapping[TopicSetting, str],
        rules: EventRules,
        max_attempts: int = 5,
        alert_after: int = 5,
        prefetch: Prefetch | None = None,
        outbox: Outbox | None = None,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
    ) -> None:
        self.name = name
        self.prefetch = prefetch
        self.batch_handlers = dict(batch_handlers or {})
        self.outbox = outbox  # where the handlers' announcements go (`announce`)
        self.sessions = sessions
        self.inbox = inbox
        self.consumer = consumer
        self.handlers = handlers
        self.dead_letters = dead_letters
        self.topic_names = topic_names
        self.rules = rules
        self.max_attempts = max_attempts
        self.alert_after = alert_after
        # A poll's inbox rows in one statement, built once (its ids bound at execution); the ids
        # returned are those not claimed before, by this poll or an earlier one.
        self._claim_many = (
            pg_insert(inbox)
            .from_select(
                ["consumer", "event_id"],
                select(
                    literal(name, String()),
                    func.unnest(bindparam("ids", type_=ARRAY(Uuid()))),
                ),
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )

    async def handle(self, envelope: Envelope, topic: str) -> str:
        """Applies one event once: "applied", "duplicate" (applied before), or "ignored" (no
        handler: nothing to apply, so neither a transaction nor an inbox row). An event its
        producer does not own, or read from another topic than its own, is refused."""
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        reason = self.rules.refusal(self.topic_names, topic, envelope)
        if reason is not None:
            raise EventRefused(f"refused: {reason}")
        with self._processing(topic, envelope):
            return await self._apply(envelope, handler)

    def _processing(self, topic: str, envelope: Envelope) -> AbstractContextManager[None]:
        """A CONSUMER span in the trace the event was announced in: the handler's statements and
        what it announces join it. Nothing when traces are off."""
        if not enabled():
            return contextlib.nullcontext()
        attributes = _messaging_attributes(topic, envelope, "process")
        attributes["messaging.consumer.group.name"] = self.name
        return span(
            f"{envelope.type} process",
            kind=SpanKind.CONSUMER,
            parent=envelope.traceparent,
            attributes=attributes,
        )

    async def _apply(self, envelope: Envelope, handler: Handler) -> str:
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                pg_insert(self.inbox)
                .values(consumer=self.name, event_id=envelope.event_id)
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if claimed.first() is None:
                return "duplicate"
            if self.outbox is not None:
                open_unit(session, self.outbox)
            await handler(session, envelope)
            await write_announcements(session)
        return "applied"

    async def _apply_together(
        self, messages: Sequence[ConsumerRecord[Any, Any]], envelopes: Sequence[Envelope | None]
    ) -> list[tuple[Envelope, str]]:
        """A partition's polled events in one transaction: each one's outcome, as `handle` gives
        it. Raises, having changed nothing, if any of them is unreadable or refused or any
        handler fails."""
        if None in envelopes:
            raise UnreadableEvent("no event envelope")
        events = [(m.topic, e) for m, e in zip(messages, envelopes, strict=True) if e is not None]
        for topic, envelope in events:
            if envelope.type in self.handlers:
                reason = self.rules.refusal(self.topic_names, topic, envelope)
                if reason is not None:
                    raise EventRefused(f"refused: {reason}")
        wanted = list(dict.fromkeys(e.event_id for _, e in events if e.type in self.handlers))
        outcomes: list[tuple[Envelope, str]] = []
        fresh: list[tuple[str, Envelope]] = []
        async with self.sessions() as session, session.begin():
            claimed = set()
            if wanted:
                rows = await session.execute(self._claim_many, {"ids": wanted})
                claimed = set(rows.scalars())
            for topic, envelope in events:
                if envelope.type not in self.handlers:
                    outcomes.append((envelope, "ignored"))
                elif envelope.event_id in claimed:
                    claimed.discard(envelope.event_id)  # a second copy in this poll: a duplicate
                    outcomes.append((envelope, "applied"))
                    fresh.append((topic, envelope))
                else:
                    outcomes.append((envelope, "duplicate"))
            if self.outbox is not None:
                open_unit(session, self.outbox)
            await self._run_handlers(session, fresh)
            await write_announcements(session)
        return outcomes

    async def _run_handlers(
        self, session: AsyncSession, events: Sequence[tuple[str, Envelope]]
    ) -> None:
        """The handlers of `events` in their order; a run of consecutive events of a type with
        a batch handler in one call. With traces on, each event is handled alone in a CONSUMER
        span of its own trace (a batch call would belong to none of them)."""
        start = 0
        while start < len(events):
            topic, envelope = events[start]
            batch = self.batch_handlers.get(envelope.type)
            if batch is None or enabled():
                await self._handled_alone(session, topic, envelope)
                start += 1
                continue
            end = start + 1
            while end < len(events) and events[end][1].type == envelope.type:
                end += 1
            await batch(session, [e for _, e in events[start:end]])
            start = end

    async def _handled_alone(self, session: AsyncSession, topic: str, envelope: Envelope) -> None:
        with self._processing(topic, envelope):
            await self.handlers[envelope.type](session, envelope)

    async def _deliver_all(
        self,
        messages: Sequence[ConsumerRecord[Any, Any]],
        envelopes: Sequence[Envelope | None],
        stop: asyncio.Event,
    ) -> None:
        """A partition's polled events, together when they can be (`_apply_together`), else one
        by one (`_deliver`)."""
        if len(messages) > 1:
            try:
                outcomes = await self._apply_together(messages, envelopes)
            except Exception as exc:
                if stop.is_set():
                    raise  # uncommitted: it comes again after the restart
                # Nothing was applied; the events are applied (or parked) one by one instead.
                log.warning(
                    "consumer_batch_alone", consumer=self.name, error_type=type(exc).__name__
                )
            else:
                for envelope, outcome in outcomes:
                    EVENTS_HANDLED.labels(type_label(envelope.type), outcome).inc()
                # As below: the batch applied, its offset not committed yet.
                await failpoints.stall(f"consumer.{self.name}.applied")
                return
        for message in messages:
            await self._deliver(message, stop)

    async def _deliver(self, message: ConsumerRecord[Any, Any], stop: asyncio.Event) -> None:
        """Applies one message, retrying it while it fails: a dependency that is away holds the
        partition until it is back (skipping would lose the event: a record never listed, a
        destruction never done), and after `alert_after` tries the event is logged as stuck,
        once. Other failures count; after `max_attempts` of them the event is parked."""
        try:
            envelope = Envelope.model_validate_json(message.value or b"{}")
        except ValueError:
            log.error("event_unreadable", topic=message.topic, offset=message.offset)
            await self._park(message, None, 1, UnreadableEvent("no event envelope"), stop)
            return
        set_correlation_id(envelope.correlation_id)
        tries = counted = 0
        while True:
            tries += 1
            try:
                outcome = await self.handle(envelope, message.topic)
                EVENTS_HANDLED.labels(type_label(envelope.type), outcome).inc()
                # A test holds a worker here, one event of its batch applied and the batch's
                # offset not committed, to kill it mid-batch; nothing in production.
                await failpoints.stall(f"consumer.{self.name}.applied")
                return
            except Exception as exc:
                if stop.is_set():
                    raise  # uncommitted: it comes again after the restart
                transient = is_transient(exc)
                counted += 0 if transient else 1
                fields = {
                    "event_id": str(envelope.event_id),
                    "event_type": type_label(envelope.type),
                    "attempt": tries,
                    "error_type": type(exc).__name__,
                    "transient": transient,
                }
                if isinstance(exc, EventRefused) or counted >= self.max_attempts:
                    await self._park(message, envelope, counted, exc, stop)
                    return
                log.warning("event_handler_retry", **fields)
                if tries == self.alert_after:
                    EVENTS_HANDLED.labels(type_label(envelope.type), "stuck").inc()
                    log.error("event_handler_stuck", **fields)
                await sleep_or_stop(stop, backoff(tries))
                if stop.is_set():
                    raise

    async def _park(
        self,
        message: ConsumerRecord[Any, Any],
        envelope: Envelope | None,
        attempts: int,
        exc: BaseException,
        stop: asyncio.Event,
    ) -> None:
        """Parks the message; retried while the database is away, since its offset must not be
        committed before it is parked."""
        error_type, error = describe(exc)
        known = envelope is not None and event_kind(envelope.type) is not None
        parked = Parked(
            consumer=self.name,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            message=message.value or b"",
            attempts=attempts,
            error_type=error_type,
            error=error,
            event_id=envelope.event_id if envelope else None,
            event_type=(envelope.type if known else "unknown") if envelope else None,
            producer=self._known_producer(envelope),
        )
        event_type = type_label(envelope.type) if envelope else "unreadable"
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    new = await DeadLetterRepository(session, self.dead_letters).park(parked)
                break
            except Exception as park_error:
                if stop.is_set():
                    raise
                log.warning("dead_letter_retry", error_type=type(park_error).__name__)
                await sleep_or_stop(stop, 1.0)
        if new:
            DEAD_LETTERED.labels(self.name, event_type).inc()
        EVENTS_HANDLED.labels(event_type, "dead_lettered").inc()
        log.error(
            "event_dead_lettered",
            consumer=self.name,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            event_id=str(envelope.event_id) if envelope else None,
            event_type=event_type,
            attempts=attempts,
            error_type=error_type,
        )

    def _known_producer(self, envelope: Envelope | None) -> str | None:
        if envelope is None:
            return None
        return envelope.producer if envelope.producer in self.rules.producers else "unknown"

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
            # Each message read once here, for the prefetch and for applying them together;
            # None: unreadable, parked when it is delivered alone.
            envelopes = [_readable(message) for message in messages]
            if self.prefetch is not None:
                try:
                    if readable := [e for e in envelopes if e is not None]:
                        await self.prefetch(readable)
                except Exception as exc:  # the handlers fetch what they miss themselves
                    log.warning("consumer_prefetch_failed", error_type=type(exc).__name__)
            await self._deliver_all(messages, envelopes, stop)
            # Effects (or dead letters) are committed; a crash before this offset commit only
            # causes redelivery.
            failpoints.hit(f"consumer.{self.name}.before_offset_commit")
            await self.consumer.commit({tp: messages[-1].offset + 1})


def _readable(message: ConsumerRecord[Any, Any]) -> Envelope | None:
    try:
        return Envelope.model_validate_json(message.value or b"{}")
    except ValueError:
        return None


def new_producer(access: KafkaAccess, client_id: str, *, idempotence: bool) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **access.client_kwargs(),
        client_id=client_id,
        enable_idempotence=idempotence,
        acks="all",
        linger_ms=5,
        # A partition's events of a relay batch in one record batch: the broker stores each
        # batch as an object (Tansu on S3), so the default 16 KiB (some 20 events) made a bulk
        # transfer's events ten objects where one does. Under max_request_size (1 MiB).
        max_batch_size=512 * 1024,
    )


def new_consumer(access: KafkaAccess, group_id: str, topics: list[str]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        **access.client_kwargs(),
        group_id=group_id,
        client_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def ensure_topics(access: KafkaAccess | str, topics: list[str], partitions: int = 3) -> None:
    if isinstance(access, str):
        access = KafkaAccess(access)
    admin = AIOKafkaAdminClient(**access.client_kwargs())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                await admin.create_topics(missing)
    finally:
        await admin.close()
