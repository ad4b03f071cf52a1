"""What linkage learns from events: a person verified (PersonVerified, identity's), an old record
without an RRN given its match key (RecordMatchKeyAssigned, ingest's backfill), and, through
`records.handlers`, a record without an RRN stored. Each runs in the consumer's transaction with
the event's inbox row, so a redelivered event proposes nothing twice; nothing here commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.linkage import service
from medrec_catalog.linkage.repository import LinkageRepository
from medrec_catalog.models import LinkagePerson
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import Envelope, PersonVerified, RecordMatchKeyAssigned


def on_person_verified(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, PersonVerified)
        person = LinkagePerson(
            person_key=event.person_key,
            person_id=event.person_id,
            match_key=event.match_key,
            match_key_any_sex=event.match_key_any_sex,
            verified_at=envelope.occurred_at,
        )
        await service.propose_for_person(LinkageRepository(session), person, clock.now())

    return handle


def on_match_key_assigned(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, RecordMatchKeyAssigned)
        await service.propose_for_keyed_record(
            LinkageRepository(session), event.record_id, event.match_key, clock.now()
        )

    return handle
