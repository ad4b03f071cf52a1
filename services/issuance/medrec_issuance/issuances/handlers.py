"""issuance's event consumers. Each runs in the consumer's transaction, with the event's inbox
row: it takes that session and never commits, so a redelivered event is applied once.

- IssuanceRequested: the worker looks for copies to make now (`rendering`), rather than at its
  next sweep. The copy is made outside this transaction: the event only wakes the worker, and a
  copy is found by its status, so one whose event was consumed before a crash is still made.
- RecordDestroyed: when a record is destroyed at the end of its retention period, the stored
  copies that include it are destroyed too (object and data key): its content must not outlive
  it here. Copies still to make (pending or being rendered) that include it fail: they can no
  longer be made.
- RecordUnlinked: when an operator finds a record was linked to the wrong person, the stored
  copies that include it are destroyed as well: they were made for that person, and would
  otherwise stay downloadable by them until they expire. Copies still pending that include it
  fail before they are rendered for the wrong person (rendering checks the owner as well, for a
  copy it reaches before this event), and so do copies being rendered: their outcome is then
  dropped, and the copy stored for it deleted.
- TransferCompleted: the transfer's 이관확인서 is made (`issuances.receipts`), once; the
  IssuanceRequested it announces wakes the worker to render it."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.documents.limits import (
    PURGED_RECORD_DESTROYED,
    PURGED_RECORD_UNLINKED,
    RECORD_GONE,
    RECORD_NOT_THE_SUBJECTS,
)
from medrec_issuance.issuances.fulfilment import Fulfilment
from medrec_issuance.issuances.receipts import start_receipt
from medrec_issuance.issuances.rendering import CopyRendering
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import (
    Envelope,
    IssuanceRequested,
    RecordDestroyed,
    RecordUnlinked,
    TransferCompleted,
)

RecordGone = RecordDestroyed | RecordUnlinked  # no copy may hold the record any more


def on_issuance_requested(rendering: CopyRendering) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, IssuanceRequested)
        rendering.wake()

    return handle


def purging_copies(
    fulfilment: Fulfilment, event_type: type[RecordGone], *, purged: str, failed: str
) -> Handler:
    """The handler of an event after which no copy may hold its record: the stored copies that
    do are purged (`purged` for the citizen), the pending ones failed (`failed`)."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, event_type)
        await fulfilment.take_record_from_copies(
            session, event.record_id, purged=purged, failed=failed
        )

    return handle


def on_record_destroyed(fulfilment: Fulfilment) -> Handler:
    return purging_copies(
        fulfilment, RecordDestroyed, purged=PURGED_RECORD_DESTROYED, failed=RECORD_GONE
    )


def on_record_unlinked(fulfilment: Fulfilment) -> Handler:
    return purging_copies(
        fulfilment, RecordUnlinked, purged=PURGED_RECORD_UNLINKED, failed=RECORD_NOT_THE_SUBJECTS
    )


def on_transfer_completed(settings: IssuanceSettings, clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, TransferCompleted)
        await start_receipt(session, settings, event, clock.now())

    return handle
