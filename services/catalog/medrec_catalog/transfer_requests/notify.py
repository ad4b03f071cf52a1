"""How a person who asked for a clinic is told its records arrived: a `transfer_arrived` notice,
keyed `arrived:<institution>:<person>` so that it is one notice however often it is asked
(rules/notices, CONTRACT: NoticeRequested). Kept apart so that the notices store is one call."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_shared.platform.messaging import announce
from medrec_shared.rules.events import NoticeRequested
from medrec_shared.rules.notices import NoticeKind


def arrival_key(institution_code: str, person_key: str) -> str:
    return f"arrived:{institution_code}:{person_key}"


async def tell_arrived(
    session: AsyncSession, person_key: str, institution_code: str, name: str, *, topic: str
) -> None:
    """Asks for the notice in the handler's own unit of work: NoticeRequested on the audit topic
    (which catalog's notices consume), keyed by the person. Only the clinic's name goes with it."""
    announce(
        session,
        topic,
        person_key,
        NoticeRequested(
            person_key=person_key,
            kind=NoticeKind.transfer_arrived,
            notice_key=arrival_key(institution_code, person_key),
            params={"institution": name},
        ),
    )
