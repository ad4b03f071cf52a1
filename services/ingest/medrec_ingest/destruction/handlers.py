"""Events ingest consumes: RecordRetentionDue (catalog's retention sweep) destroys the record.
The handler runs in the consumer's transaction, with the event's inbox entry, and never commits.

Destruction cannot be undone, so the event is not taken on trust: ingest destroys only a record
whose own period (its kind and last service date, as deposited) has ended by its own clock, and
only when the event's date is that period or a later one (catalog's one extension). An early or
forged event destroys nothing; it is refused, and so parked for an operator, not retried."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.destruction.service import RETENTION_EXPIRED, Destructions
from medrec_ingest.models import Record
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.deadletters.errors import EventRefused
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import Envelope, RecordRetentionDue
from medrec_shared.rules.retention import retention_until


class NotDue(EventRefused):
    """A retention-due event for a record whose period has not ended."""


def check_due(record: Record, event: RecordRetentionDue, today: date) -> None:
    """Refuses the event unless the record's own period ended before `today` (catalog's sweep
    takes what is past its date, `retention_until < today`) and the event's date is no earlier
    than the record's own."""
    own = retention_until(record.kind, record.service_end)
    if own >= today:
        raise NotDue("refused: the record's own retention period has not ended")
    if event.retention_until < own:
        raise NotDue("refused: the event's retention date is before the record's own")
    if event.retention_until >= today:
        raise NotDue("refused: the event's retention date has not passed")


def on_retention_due(destructions: Destructions) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordRetentionDue)
        record = await DestructionRepository(session).lock_record(event.record_id)
        if record is None:  # destroyed already, or never held here
            return
        now = destructions.clock.now()
        check_due(record, event, korean_date(now))
        await destructions.destroy(session, record, RETENTION_EXPIRED, now)

    return handle
