"""The access history, from every service's audit events."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.access_log.repository import AccessLogRepository
from medrec_catalog.models import AccessLogEntry
from medrec_shared.rules.events import AccessRecorded, Envelope


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
