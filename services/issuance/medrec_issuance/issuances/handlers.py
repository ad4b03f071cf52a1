"""issuance's event consumers. Each runs in the consumer's transaction, with the event's inbox
row: it takes that session and never commits, so a redelivered event is applied once.

- IssuanceRequested: the worker fulfils the pending issuance (renders, signs, stores the copy).
- RecordDestroyed: when a record is destroyed at the end of its retention period, the stored
  copies that include it are destroyed too (object and data key): its content must not outlive
  it here.
- RecordUnlinked: when an operator finds a record was linked to the wrong person, the stored
  copies that include it are destroyed as well: they were made for that person, and would
  otherwise stay downloadable by them until they expire."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.documents.limits import PURGED_RECORD_DESTROYED, PURGED_RECORD_UNLINKED
from medrec_issuance.issuances.fulfilment import Fulfilment
from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_issuance.issuances.service import purge_copies_holding
from medrec_issuance.models import IssuanceStatus
from medrec_shared.events import Envelope, IssuanceRequested, RecordDestroyed, RecordUnlinked
from medrec_shared.messaging import Handler
from medrec_shared.vault import Vault

RecordGone = RecordDestroyed | RecordUnlinked  # no copy may hold the record any more


def on_issuance_requested(fulfilment: Fulfilment) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, IssuanceRequested)
        issuance = await IssuanceRepository(session).get(event.issuance_id, for_update=True)
        if issuance is not None and issuance.status == IssuanceStatus.pending:
            await fulfilment.fulfil(session, issuance)

    return handle


def purging_copies(vault: Vault, event_type: type[RecordGone], reason: str) -> Handler:
    """The handler of an event after which no copy may hold its record: the copies that do are
    purged, with `reason` for the citizen."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, event_type)
        await purge_copies_holding(session, vault, event.record_id, reason)

    return handle


def on_record_destroyed(vault: Vault) -> Handler:
    return purging_copies(vault, RecordDestroyed, PURGED_RECORD_DESTROYED)


def on_record_unlinked(vault: Vault) -> Handler:
    return purging_copies(vault, RecordUnlinked, PURGED_RECORD_UNLINKED)
