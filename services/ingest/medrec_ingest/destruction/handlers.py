"""Events ingest consumes: RecordRetentionDue (catalog's retention sweep) destroys the record.
The handler runs in the consumer's transaction, with the event's inbox entry, and never commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.destruction.service import RETENTION_EXPIRED, destroy
from medrec_ingest.settings import IngestSettings
from medrec_shared.clock import Clock
from medrec_shared.events import Envelope, RecordRetentionDue
from medrec_shared.messaging import Handler, Outbox
from medrec_shared.vault import Vault


def on_retention_due(
    vault: Vault, outbox: Outbox, settings: IngestSettings, clock: Clock
) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordRetentionDue)
        record = await DestructionRepository(session).lock_record(event.record_id)
        if record is None:  # destroyed already, or never held here
            return
        await destroy(session, vault, outbox, settings, record, RETENTION_EXPIRED, clock.now())

    return handle
