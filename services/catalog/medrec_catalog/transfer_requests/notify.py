"""How a person who asked for a clinic is told its records arrived: a `transfer_arrived` notice,
keyed `arrived:<institution>:<person>` so that it is one notice however often it is asked
(rules/notices, CONTRACT29: NoticeRequested). Catalog keeps the notices itself, so it is written
in the handler's own unit of work by the notices service (stored only for a person who has
signed in, sent as they chose); only the clinic's name goes with it."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.notices import service as notices
from medrec_shared.rules.notices import NoticeKind


def arrival_key(institution_code: str, person_key: str) -> str:
    return f"arrived:{institution_code}:{person_key}"


async def tell_arrived(
    session: AsyncSession, person_key: str, institution_code: str, name: str, *, now: datetime
) -> None:
    await notices.ask(
        session, person_key, NoticeKind.transfer_arrived,
        arrival_key(institution_code, person_key), {"institution": name}, at=now,
    )  # fmt: skip
