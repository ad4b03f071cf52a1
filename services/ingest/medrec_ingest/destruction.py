"""Destruction (DOMAIN.md, "Record retention"): the content object and its data key go
(crypto-shredding) and the record row with them; a log entry without personal data remains.

Ingest destroys a record when catalog's sweep finds it past its period (RecordRetentionDue), and
when its institution was released and did not take it back within the grace period. Each run
is one transaction per record set: the object is deleted before the commit, so a crash between
the two leaves the row, and the next run deletes the (already absent) object again and commits.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_ingest.deps import DbSession, Operator, OutboxDep, Sessions, Settings, VaultDep
from medrec_ingest.models import Destruction, Record
from medrec_ingest.repositories import DestructionRepository, RecordRepository
from medrec_ingest.settings import IngestSettings
from medrec_shared import failpoints
from medrec_shared.clock import Clock
from medrec_shared.events import Envelope, RecordDestroyed, RecordRetentionDue
from medrec_shared.messaging import Handler, Outbox
from medrec_shared.vault import Vault
from medrec_shared.web import Now

RETENTION_EXPIRED = "retention_expired"
RELEASE_NOT_RECLAIMED = "release_not_reclaimed"
SWEEP_BATCH = 100

router = APIRouter(tags=["destruction (operators)"], prefix="/v1/admin")


async def destroy(
    session: AsyncSession,
    vault: Vault,
    outbox: Outbox,
    settings: IngestSettings,
    record: Record,
    reason: str,
    now: datetime,
) -> None:
    if record.object_key is not None:
        await vault.delete(record.object_key)  # absent already after a crash: still fine
    failpoints.hit("ingest.destroy.after_object_delete")
    session.add(
        Destruction(
            record_id=record.record_id,
            institution_code=record.institution_code,
            kind=record.kind,
            specialty=record.specialty,
            service_start=record.service_start,
            service_end=record.service_end,
            reason=reason,
            destroyed_at=now,
        )
    )
    key = record.person_key or str(record.record_id)
    await outbox.add(
        session,
        settings.topic_record,
        key,
        RecordDestroyed(record_id=record.record_id, reason=reason),
    )
    await session.delete(record)  # the wrapped data key, the sealed patient, the title: gone
    await session.flush()


def on_retention_due(
    vault: Vault, outbox: Outbox, settings: IngestSettings, clock: Clock
) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordRetentionDue)
        record = await RecordRepository(session).get(event.record_id, for_update=True)
        if record is None:  # destroyed already, or never held here
            return
        await destroy(session, vault, outbox, settings, record, RETENTION_EXPIRED, clock.now())

    return handle


async def destroy_unreclaimed(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    outbox: Outbox,
    settings: IngestSettings,
    now: datetime,
) -> int:
    """Destroys the records of released transfers whose grace period has ended."""
    destroyed = 0
    while True:
        async with sessions() as session, session.begin():
            batch = await RecordRepository(session).unreclaimed(now, SWEEP_BATCH)
            for record in batch:
                await destroy(session, vault, outbox, settings, record, RELEASE_NOT_RECLAIMED, now)
        if not batch:
            return destroyed
        destroyed += len(batch)


@router.post("/releases/sweep")
async def run_release_sweep(
    sessions: Sessions,
    _: Operator,
    vault: VaultDep,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> dict[str, Any]:
    """Destroys now what the worker's scheduled run would: released records past their grace."""
    return {
        "destroyed": await destroy_unreclaimed(sessions, vault, outbox, settings, now),
        "as_of": now,
    }


class DestructionOut(BaseModel):
    record_id: uuid.UUID
    kind: str
    specialty: str
    institution_code: str
    service_start: date
    service_end: date
    reason: str
    destroyed_at: datetime


class DestructionPage(BaseModel):
    items: list[DestructionOut]
    next_cursor: str | None


@router.get("/destructions", response_model=DestructionPage)
async def list_destructions(
    session: DbSession,
    _: Operator,
    institution: Annotated[str, Query(pattern=r"^\d{8}$", description="Institution code")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> DestructionPage:
    """The destruction log of one institution."""
    rows = await DestructionRepository(session).for_institution(institution, limit + 1, cursor)
    page = rows[:limit]
    return DestructionPage(
        items=[DestructionOut.model_validate(r, from_attributes=True) for r in page],
        next_cursor=str(page[-1].record_id) if len(rows) > limit else None,
    )
