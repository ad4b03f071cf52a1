"""The audit trail, from every service's StaffActed events (a redelivered event is kept once)."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.audit.repository import StaffAuditRepository
from medrec_catalog.models import StaffAuditEntry
from medrec_shared.rules.events import Envelope, StaffActed


async def on_staff_acted(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.payload()
    assert isinstance(event, StaffActed)
    await StaffAuditRepository(session).add(
        StaffAuditEntry(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            **event.model_dump(),
        )
    )
