"""What 이관 요청 learns from ingest's transfer events: a completed transfer brought the clinic's
records, so the people who asked for it are told (each once)."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.transfer_requests import service
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import Envelope, TransferCompleted


def on_transfer_completed(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, TransferCompleted)
        await service.arrived(
            session, event.institution_code, event.institution_name, now=clock.now()
        )

    return handle
