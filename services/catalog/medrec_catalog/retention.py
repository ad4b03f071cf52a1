"""Retention (Enforcement Rule Art. 15): records are kept exactly as long as their kind requires,
extended once at most by an operator, then destroyed by ingest when catalog's sweep says so."""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_catalog.deps import DbSession, Operator, OutboxDep, Settings
from medrec_catalog.repositories import RetentionRepository
from medrec_catalog.settings import CatalogSettings
from medrec_shared.clock import Clock, korean_date
from medrec_shared.events import Envelope, RecordDestroyed, RecordRetentionDue, RecordWithdrawn
from medrec_shared.messaging import Outbox
from medrec_shared.problems import Conflict, NotFound
from medrec_shared.retention import RETENTION_YEARS, add_years
from medrec_shared.web import Now

router = APIRouter(tags=["retention (operators)"], prefix="/v1/admin")
SWEEP_BATCH = 500


class ExtensionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ExtensionOut(BaseModel):
    record_id: uuid.UUID
    retention_until: date
    retention_extended: bool
    extension_reason: str | None


class AlreadyExtended(Conflict):
    type, title = "already-extended", "A retention period may be extended only once"


async def sweep(
    session: AsyncSession, outbox: Outbox, settings: CatalogSettings, today: date
) -> int:
    """Marks every record past its period as due and asks ingest to destroy it. Due records
    leave citizens' views at once; a record that arrived already expired goes in the next sweep."""
    found = 0
    retention = RetentionRepository(session)
    while batch := await retention.claim_due(today, SWEEP_BATCH):
        for record in batch:
            record.status = "due"
            await outbox.add(
                session,
                settings.topic_record,
                record.person_key or record.record_id,
                RecordRetentionDue(
                    record_id=record.record_id, retention_until=record.retention_until
                ),
            )
        await session.flush()
        found += len(batch)
    return found


async def scheduled_sweep(
    sessions: async_sessionmaker[AsyncSession],
    outbox: Outbox,
    settings: CatalogSettings,
    clock: Clock,
) -> int:
    async with sessions() as session, session.begin():
        return await sweep(session, outbox, settings, korean_date(clock.now()))


@router.post("/retention/sweep")
async def run_sweep(
    session: DbSession, _: Operator, outbox: OutboxDep, settings: Settings, now: Now
) -> dict[str, Any]:
    """Runs the retention sweep now (the worker also runs it on a schedule)."""
    today = korean_date(now)
    return {"due": await sweep(session, outbox, settings, today), "as_of": today}


@router.post("/records/{record_id}/retention-extension", response_model=ExtensionOut)
async def extend_retention(
    record_id: uuid.UUID, body: ExtensionIn, session: DbSession, operator: Operator
) -> ExtensionOut:
    """Extends a record's period once, by one more period of its kind."""
    record = await RetentionRepository(session).for_update(record_id)
    if record is None or record.status != "available":
        raise NotFound("No such record held.")
    if record.retention_extended:
        raise AlreadyExtended(f"It was extended already, until {record.retention_until}.")
    record.retention_until = add_years(record.retention_until, RETENTION_YEARS[record.kind])
    record.retention_extended, record.extension_reason = True, body.reason
    record.extended_by = operator.subject
    return ExtensionOut.model_validate(record, from_attributes=True)


async def on_record_gone(session: AsyncSession, envelope: Envelope) -> None:
    """RecordDestroyed or RecordWithdrawn: the record leaves every citizen view."""
    event = envelope.payload()
    assert isinstance(event, RecordDestroyed | RecordWithdrawn)
    record = await RetentionRepository(session).for_update(event.record_id)
    if record is not None:
        record.status = "destroyed" if isinstance(event, RecordDestroyed) else "withdrawn"
