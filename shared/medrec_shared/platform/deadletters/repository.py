"""All SQL of the dead-letter table. Nothing here commits."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_shared.platform.deadletters.table import DeadLetterStatus


@dataclass(frozen=True)
class Parked:
    """One event to park: where it was read, what it is (when it could be read), and why."""

    consumer: str
    topic: str
    partition: int
    offset: int
    message: bytes
    attempts: int
    error_type: str
    error: str
    event_id: uuid.UUID | None = None
    event_type: str | None = None
    producer: str | None = None


class DeadLetterRepository:
    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table

    async def park(self, parked: Parked) -> bool:
        """False when that message was parked already (a redelivery)."""
        values: dict[str, Any] = {
            "consumer": parked.consumer,
            "topic": parked.topic,
            "kafka_partition": parked.partition,
            "kafka_offset": parked.offset,
            "message": parked.message,
            "attempts": parked.attempts,
            "error_type": parked.error_type,
            "error": parked.error,
            "event_id": parked.event_id,
            "event_type": parked.event_type,
            "producer": parked.producer,
        }
        inserted = await self.session.execute(
            pg_insert(self.table)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(self.table.c.id)
        )
        return inserted.first() is not None

    def _listed(self) -> Any:
        return select(*(c for c in self.table.c if c.name != "message"))

    async def page(self, status: DeadLetterStatus, limit: int, after: int | None) -> list[Row[Any]]:
        query = self._listed().where(self.table.c.status == status)
        if after is not None:
            query = query.where(self.table.c.id > after)
        return list(
            (await self.session.execute(query.order_by(self.table.c.id).limit(limit))).all()
        )

    async def get(self, entry_id: int) -> Row[Any] | None:
        found = await self.session.execute(self._listed().where(self.table.c.id == entry_id))
        return found.first()

    async def request_retry(self, entry_id: int) -> Row[Any] | None:
        """Marks a parked entry for the worker to retry; None when there is no parked entry."""
        t = self.table
        changed = await self.session.execute(
            update(t)
            .where(t.c.id == entry_id, t.c.status == DeadLetterStatus.parked)
            .values(status=DeadLetterStatus.retry_requested, retry_requested_at=func.now())
            .returning(*(c for c in t.c if c.name != "message"))
        )
        return changed.first()

    async def claim_requested(self, consumer: str, limit: int) -> list[Row[Any]]:
        """Entries an operator asked to retry, locked (other workers skip them) until the
        caller's transaction ends."""
        t = self.table
        rows = await self.session.execute(
            select(t)
            .where(t.c.consumer == consumer, t.c.status == DeadLetterStatus.retry_requested)
            .order_by(t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows.all())

    async def retried(self, entry_id: int, now: datetime) -> None:
        await self.session.execute(
            update(self.table)
            .where(self.table.c.id == entry_id)
            .values(status=DeadLetterStatus.retried, retried_at=now)
        )

    async def parked_again(self, entry_id: int, error_type: str, error: str) -> None:
        t = self.table
        await self.session.execute(
            update(t)
            .where(t.c.id == entry_id)
            .values(
                status=DeadLetterStatus.parked,
                attempts=t.c.attempts + 1,
                error_type=error_type,
                error=error,
            )
        )
