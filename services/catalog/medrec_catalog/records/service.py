"""Who may see which record: the one place catalog decides it.

- A person's records are the token subject's: the citizen's own, or the child's that a guardian
  token acts for (the guardianship rule is re-checked on every use of such a token, by
  `medrec_shared.auth`, before this runs). A token without a person sees no one's records.
- A record is shown to anyone (its person, another service, an operator) only while it is
  `available`: a record past its period (`due`), withdrawn or destroyed is as if it were not
  held. Every query and every single-record read in catalog takes its status from here.

Nothing here commits: the functions that read take the caller's session."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_catalog.records.repository import (
    RecordCursor,
    RecordFilter,
    RecordRepository,
    RecordSummary,
)
from medrec_shared.auth import Principal
from medrec_shared.problems import Forbidden, NotFound

# The one status in which a record is shown, listed or counted as held.
SHOWN = RecordStatus.available


def subject_key(principal: Principal) -> str:
    """The person whose records these are: the citizen, or the child a guardian acts for."""
    if principal.person_key is None:
        raise Forbidden("This needs a citizen's token.")
    return principal.person_key


def is_shown(record: CatalogRecord | None) -> bool:
    return record is not None and record.status == SHOWN


def shown(record: CatalogRecord | None, detail: str) -> CatalogRecord:
    """`record` if it may be shown; otherwise NotFound with `detail` (a record that is not
    shown is not told apart from one that never was)."""
    if record is None or not is_shown(record):
        raise NotFound(detail)
    return record


async def record_for_service(
    session: AsyncSession, record_id: uuid.UUID
) -> tuple[CatalogRecord, Institution | None]:
    """A record another service may read, with its institution."""
    records = RecordRepository(session)
    record = shown(await records.get(record_id), "No such record.")
    return record, await records.institution_of(record)


async def records_of(
    session: AsyncSession,
    person_key: str,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> list[tuple[CatalogRecord, Institution | None]]:
    """The person's shown records, newest care first (up to `limit`)."""
    return await RecordRepository(session).for_person(person_key, SHOWN, filters, limit, after)


async def summary_of(
    session: AsyncSession, person_key: str, filters: RecordFilter
) -> list[RecordSummary]:
    return await RecordRepository(session).summary_for_person(person_key, SHOWN, filters)
