"""What notices learn from the audit topic: a person signed in (PersonVerified, identity's) and
a notice asked for (NoticeRequested, issuance's or catalog's own). Each runs in the consumer's
transaction with the event's inbox row; the store is idempotent by (person, notice_key) too, so
a redelivered request stores nothing twice. Nothing here commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.notices import service
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import Handler
from medrec_shared.rules.events import Envelope, NoticeRequested, PersonVerified
from medrec_shared.rules.notices import NoticeKind

log = get_logger(__name__)


def on_person_signed_in(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, PersonVerified)
        await service.remember_person(session, event.person_key, clock.now())

    return handle


def on_notice_requested(clock: Clock) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.payload()
        assert isinstance(event, NoticeRequested)
        if event.kind not in NoticeKind.__members__:
            # A kind this catalog does not know yet: kept out, said without the person.
            log.warning("notice_kind_unknown", kind=event.kind, event_id=str(envelope.event_id))
            return
        await service.ask(
            session,
            event.person_key,
            event.kind,
            event.notice_key,
            dict(event.params),
            at=clock.now(),
        )

    return handle


def both(*handlers: Handler) -> Handler:
    """One event type, several domains that learn from it, in the same transaction."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        for handler in handlers:
            await handler(session, envelope)

    return handle
