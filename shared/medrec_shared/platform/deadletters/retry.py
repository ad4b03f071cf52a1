"""The worker's side of an operator's retry: entries marked `retry_requested` are run once more
through the consumer's `handle` (its inbox and its checks), one transaction holding the entry's
row while it runs, so two workers never retry the same entry. Applied, or found applied already
(the inbox knows it): `retried`. Failing again: `parked`, with the new error and one more
attempt."""

import asyncio
from datetime import UTC, datetime

from medrec_shared.platform.deadletters.errors import UnreadableEvent, describe
from medrec_shared.platform.deadletters.repository import DeadLetterRepository
from medrec_shared.platform.envelope import Envelope, type_label
from medrec_shared.platform.logs import get_logger, set_correlation_id
from medrec_shared.platform.messaging import EVENTS_HANDLED, InboxConsumer
from medrec_shared.platform.worker import sleep_or_stop

log = get_logger(__name__)
BATCH = 10


class DeadLetterRetries:
    def __init__(self, consumer: InboxConsumer, *, interval_seconds: float = 1.0) -> None:
        self.consumer = consumer
        self.interval_seconds = interval_seconds

    async def retry_once(self) -> int:
        consumer = self.consumer
        async with consumer.sessions() as session, session.begin():
            entries = DeadLetterRepository(session, consumer.dead_letters)
            rows = await entries.claim_requested(consumer.name, BATCH)
            for row in rows:
                try:
                    try:
                        envelope = Envelope.model_validate_json(row.message or b"{}")
                    except ValueError as exc:
                        raise UnreadableEvent("no event envelope") from exc
                    set_correlation_id(envelope.correlation_id)
                    outcome = await consumer.handle(envelope, row.topic)
                except Exception as exc:
                    error_type, error = describe(exc)
                    await entries.parked_again(row.id, error_type, error)
                    log.warning("dead_letter_retry_failed", entry=row.id, error_type=error_type)
                    continue
                EVENTS_HANDLED.labels(type_label(envelope.type), f"retried_{outcome}").inc()
                await entries.retried(row.id, datetime.now(UTC))
                log.info("dead_letter_retried", entry=row.id, outcome=outcome)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.retry_once() == 0:
                    await sleep_or_stop(stop, self.interval_seconds)
            except Exception as exc:  # the database is away: the entries wait for it
                log.warning("dead_letter_retries_failed", error_type=type(exc).__name__)
                await sleep_or_stop(stop, self.interval_seconds)
