"""Who may see which record: the one place catalog decides it.

- A person's records are the token subject's: the citizen's own, or the child's that a guardian
  token acts for (the guardianship rule is re-checked on every use of such a token, by
  `medrec_shared.platform.auth`, before this runs). A token without a person sees no one's records.
- A record is shown to anyone (its person, another service, an operator) only while it is
  `available`: a record past its period (`due`), withdrawn or destroyed is as if it were not
  held. Every query and every single-record read in catalog takes its status from here.

A person's list of their records is itself recorded in their access history (`Records`); the
summary of what is held (institutions, specialties, counts) is not: it lists no record.

Nothing here commits: the functions that read take the caller's session."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_catalog.records.repository import (
    RecordCursor,
    RecordFilter,
    RecordRepository,
    RecordSummary,
)
from medrec_catalog.records.schemas import (
    InstitutionRef,
    MyRecords,
    MyRecordsSummary,
    RecordGroup,
    listed_record,
)
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.pages import page_of
from medrec_shared.platform.problems import Forbidden, NotFound, ValidationFailed
from medrec_shared.rules.audit import access_event

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
    *,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> list[tuple[CatalogRecord, Institution | None]]:
    """The person's shown records, newest care first (up to `limit`)."""
    return await RecordRepository(session).for_person(person_key, SHOWN, filters, limit, after)


async def record_of(
    session: AsyncSession, person_key: str, record_id: uuid.UUID, detail: str
) -> CatalogRecord:
    """The person's own shown record; NotFound with `detail` for any other (another person's
    record is not told apart from one never held)."""
    return shown(await RecordRepository(session).of_person(record_id, person_key), detail)


def page_cursor(record: CatalogRecord) -> str:
    """Where a page of a person's records that ends with `record` ends (opaque to clients)."""
    return RecordCursor(record.service_end, record.record_id).encode()


async def summary_of(
    session: AsyncSession, person_key: str, filters: RecordFilter
) -> list[RecordSummary]:
    return await RecordRepository(session).summary_for_person(person_key, SHOWN, filters)


def cursor_from(value: str | None) -> RecordCursor | None:
    if value is None:
        return None
    try:
        return RecordCursor.decode(value)
    except ValueError:
        raise ValidationFailed(
            errors=[{"field": "cursor", "message": "not a cursor from a previous page"}]
        ) from None


@dataclass(kw_only=True)
class Records:
    """A subject's own list of their records; each list is in their access history."""

    settings: CatalogSettings

    async def list_for(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        filters: RecordFilter,
        limit: int,
        cursor: str | None,
    ) -> MyRecords:
        """A page of the subject's shown records, newest care first, with the summary of all of
        them by institution and specialty; the list is recorded (how many, never which)."""
        person_key = subject_key(principal)
        after = cursor_from(cursor)
        if (
            filters.service_from
            and filters.service_to
            and filters.service_from > filters.service_to
        ):
            raise ValidationFailed(errors=[{"field": "to", "message": "must not be before from"}])
        rows = await RecordRepository(session).listed_for_person(
            person_key, SHOWN, filters, limit + 1, after
        )
        page = page_of(
            rows,
            limit,
            listed_record,
            lambda row: RecordCursor(row.service_end, row.record_id).encode(),
        )
        groups = await self._groups(session, person_key, filters)
        announce(
            session,
            self.settings.topic_audit,
            person_key,
            access_event(principal, "list", "records", f"{len(page.items)} records"),
        )
        return MyRecords(items=page.items, next_cursor=page.next_cursor, groups=groups)

    async def summary_for(self, session: AsyncSession, principal: Principal) -> MyRecordsSummary:
        """Which institutions and specialties hold the subject's records, and how many: the
        choices of a page's filter or request form. Not an access of its own (no event): it lists
        no record, and the page that shows it records its own view (the list, a preview), so
        one page view stays one line in the subject's access history."""
        groups = await self._groups(session, subject_key(principal), RecordFilter())
        return MyRecordsSummary(groups=groups)

    @staticmethod
    async def _groups(
        session: AsyncSession, person_key: str, filters: RecordFilter
    ) -> list[RecordGroup]:
        return [
            RecordGroup(
                institution=InstitutionRef(code=code, name=name),
                specialty=specialty,
                count=count,
                first_service=first,
                last_service=last,
            )
            for code, name, specialty, count, first, last in await summary_of(
                session, person_key, filters
            )
        ]


__all__ = [
    "SHOWN",
    "RecordFilter",
    "Records",
    "cursor_from",
    "is_shown",
    "page_cursor",
    "record_for_service",
    "record_of",
    "records_of",
    "shown",
    "subject_key",
    "summary_of",
]
