"""What catalog learns of records from ingest's events."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.linkage.service import propose_for_arrival
from medrec_catalog.models import CatalogRecord, RecordStatus
from medrec_catalog.records.repository import RecordRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.messaging import BatchHandler, Handler
from medrec_shared.rules.contracts import RecordMetadata
from medrec_shared.rules.events import Envelope, RecordStored
from medrec_shared.rules.retention import retention_until

# Titles and departments stay out of events; catalog asks ingest for them.
# None: ingest no longer holds the record (withdrawn or destroyed before catalog heard of it).
MetadataLookup = Callable[[uuid.UUID], Awaitable[RecordMetadata | None]]


async def _record_of(
    lookup: MetadataLookup, envelope: Envelope, now: datetime
) -> CatalogRecord | None:
    """The read model's row for a stored record; None when ingest no longer holds it."""
    event = envelope.payload()
    assert isinstance(event, RecordStored)
    metadata = await lookup(event.record_id)
    if metadata is None:
        return None
    return CatalogRecord(
        record_id=event.record_id,
        person_key=event.person_key,
        match_key=event.match_key if event.person_key is None else None,
        institution_code=event.institution_code,
        kind=event.kind,
        specialty=event.specialty,
        title=metadata.title,
        department=metadata.department,
        service_start=event.service_start,
        service_end=event.service_end,
        content_type=event.content_type,
        size=event.size,
        sha256=event.sha256,
        retention_until=retention_until(event.kind, event.service_end),
        status=RecordStatus.available,
        created_at=now,
    )


def on_record_stored(lookup: MetadataLookup, clock: Clock) -> Handler:
    """The record joins the read model; one without an RRN (a match key, no person key) gets a
    linkage candidate for every verified person it matches (`linkage.service`)."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        now = clock.now()
        record = await _record_of(lookup, envelope, now)
        if record is None:
            return
        await RecordRepository(session).add(record)
        await propose_for_arrival(session, record, now)

    return handle


def on_records_stored(lookup: MetadataLookup, clock: Clock) -> BatchHandler:
    """`on_record_stored` for a run of a partition's events: the records go in with one
    statement (a bulk transfer's group is one run), then each gets its linkage candidates."""

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        now = clock.now()
        records = [r for e in envelopes if (r := await _record_of(lookup, e, now)) is not None]
        await RecordRepository(session).add_all(records)
        for record in records:
            await propose_for_arrival(session, record, now)

    return handle
