"""Links that catalog's operators decide (RecordLinked, RecordUnlinked): the record is filed
under the person's key here too, so what ingest announces of it from then on (destruction,
withdrawal on release) is keyed by its owner, as for a record that came with an RRN. Run in the
consumer's transaction with the event's inbox row; nothing here commits. A record destroyed or
withdrawn since is simply not found."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.linkage.repository import LinkageRepository
from medrec_shared.rules.events import Envelope, RecordLinked, RecordUnlinked


async def on_record_linked(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.payload()
    assert isinstance(event, RecordLinked)
    await LinkageRepository(session).file_under(event.record_id, event.person_key)


async def on_record_unlinked(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.payload()
    assert isinstance(event, RecordUnlinked)
    await LinkageRepository(session).file_under(event.record_id, None)
