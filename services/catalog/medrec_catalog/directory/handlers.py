"""What the directory learns from ingest's transfer events."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.directory.service import status_on_transfer
from medrec_catalog.models import InstitutionStatus
from medrec_shared.events import Envelope, TransferOpened, TransferReleased


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
            "status": status_on_transfer(event.reason),
            "closed_on": event.effective_date,
        }
    )


async def on_transfer_released(session: AsyncSession, envelope: Envelope) -> None:
    """The suspended institution reopened and took its records back: the directory says so."""
    event = envelope.payload()
    assert isinstance(event, TransferReleased)
    await InstitutionRepository(session).set_status(
        event.institution_code, InstitutionStatus.reopened
    )
