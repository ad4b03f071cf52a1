"""What the directory learns from ingest's transfer events (each row dated by the clock port)."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.directory.service import status_on_transfer
from medrec_catalog.models import InstitutionStatus
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import (
    Envelope,
    TransferCompleted,
    TransferOpened,
    TransferReleased,
)


def on_transfer_opened(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
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
                "status": status_on_transfer(event.reason),
                "closed_on": event.effective_date,
                "updated_at": clock.now(),
                # a deposit's account of itself stands over the closure data's
                "source": "deposit",
                "open_transfer_id": event.transfer_id,
            }
        )

    return handle


def on_transfer_released(clock: Clock) -> Handler:
    """The suspended institution reopened and took its records back: the directory says so."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, TransferReleased)
        repository = InstitutionRepository(session)
        await repository.set_status(
            event.institution_code, InstitutionStatus.reopened, now=clock.now()
        )
        await repository.transfer_closed(event.transfer_id)

    return handle


async def on_transfer_completed(session: AsyncSession, envelope: Envelope) -> None:
    """The transfer is no longer open: the custody shown is held (records here) or, with none
    stored, what was declared."""
    event = envelope.payload()
    assert isinstance(event, TransferCompleted)
    await InstitutionRepository(session).transfer_closed(event.transfer_id)
