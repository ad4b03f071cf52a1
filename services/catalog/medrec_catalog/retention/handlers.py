"""Records that ingest destroyed (at the sweep's request) or withdrew leave every view."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import RecordStatus
from medrec_catalog.retention.repository import RetentionRepository
from medrec_shared.rules.events import Envelope, RecordDestroyed, RecordWithdrawn


async def on_record_gone(session: AsyncSession, envelope: Envelope) -> None:
    """RecordDestroyed or RecordWithdrawn: the record leaves every citizen view."""
    event = envelope.payload()
    assert isinstance(event, RecordDestroyed | RecordWithdrawn)
    record = await RetentionRepository(session).for_update(event.record_id)
    if record is not None:
        record.status = (
            RecordStatus.destroyed if isinstance(event, RecordDestroyed) else RecordStatus.withdrawn
        )
