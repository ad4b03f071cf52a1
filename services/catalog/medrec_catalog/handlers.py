"""What catalog learns from events: institutions from transfers, records from ingest, and the
access history from every service's audit events."""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import AccessLogEntry, CatalogRecord
from medrec_catalog.repositories import AccessLogRepository, InstitutionRepository, RecordRepository
from medrec_shared.events import (
    AccessRecorded,
    Envelope,
    RecordStored,
    TransferOpened,
    TransferReleased,
)
from medrec_shared.messaging import Handler
from medrec_shared.retention import retention_until

# Titles and departments stay out of events; catalog asks ingest for them.
# None: ingest no longer holds the record (withdrawn or destroyed before catalog heard of it).
MetadataLookup = Callable[[str], Awaitable[dict[str, str | None] | None]]


async def on_transfer_opened(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.payload()
    assert isinstance(event, TransferOpened)
    info = event.institution
    await InstitutionRepository(session).upsert(
        {
            "code": info.code,
            "name": info.name,
            "type": info.type,
            "address": info.address,
            "region": info.region,
            "status": "closed" if event.reason == "closure" else "suspended",
            "closed_on": event.effective_date,
        }
    )


async def on_transfer_released(session: AsyncSession, envelope: Envelope) -> None:
    """The suspended institution reopened and took its records back: the directory says so."""
    event = envelope.payload()
    assert isinstance(event, TransferReleased)
    await InstitutionRepository(session).set_status(event.institution_code, "reopened")


def on_record_stored(lookup: MetadataLookup) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordStored)
        metadata = await lookup(str(event.record_id))
        if metadata is None:
            return
        await RecordRepository(session).add(
            CatalogRecord(
                record_id=event.record_id,
                person_key=event.person_key,
                institution_code=event.institution_code,
                kind=event.kind,
                specialty=event.specialty,
                title=metadata["title"] or "",
                department=metadata.get("department"),
                service_start=event.service_start,
                service_end=event.service_end,
                content_type=event.content_type,
                size=event.size,
                sha256=event.sha256,
                retention_until=retention_until(event.kind, event.service_end),
                status="available",
            )
        )

    return handle


async def on_access_recorded(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.payload()
    assert isinstance(event, AccessRecorded)
    await AccessLogRepository(session).add(
        AccessLogEntry(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            **event.model_dump(),
        )
    )
