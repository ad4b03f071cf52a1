"""When a record is destroyed at the end of its retention period, the stored copies that
include it are destroyed too (object and data key): its content must not outlive it here."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.repositories import IssuanceRepository
from medrec_shared.events import Envelope, RecordDestroyed
from medrec_shared.messaging import Handler
from medrec_shared.vault import Vault


def on_record_destroyed(vault: Vault) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordDestroyed)
        for issuance in await IssuanceRepository(session).holding(event.record_id):
            assert issuance.object_key is not None
            await vault.delete(issuance.object_key)  # idempotent if redelivered
            issuance.object_key = issuance.kek_id = issuance.wrapped_dek = None
            issuance.status = "purged"

    return handle
