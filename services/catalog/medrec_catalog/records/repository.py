"""All SQL on a person's records. Which status may be shown is not decided here: the caller
(`records.service`) passes it."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import aliased

from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_shared.platform.db import Repository

# institution code, institution name, specialty, count, first service, last service
RecordSummary = tuple[str, str | None, str, int, date, date]


@dataclass(frozen=True)
class RecordFilter:
    institution: str | None = None
    kind: str | None = None
    specialty: str | None = None
    # The period: records whose service overlaps [service_from, service_to], either end open.
    service_from: date | None = None
    service_to: date | None = None
    # When catalog indexed the record (a FHIR DocumentReference's `date`): [from, before).
    indexed_from: datetime | None = None
    indexed_before: datetime | None = None


@dataclass(frozen=True)
class RecordCursor:
    """Where a page of a person's records ended: encoded as `YYYY-MM-DD.<record id>`."""

    service_end: date
    record_id: uuid.UUID

    def encode(self) -> str:
        return f"{self.service_end.isoformat()}.{self.record_id}"

    @classmethod
    def decode(cls, value: str) -> "RecordCursor":
        day, _, record_id = value.partition(".")
        return cls(date.fromisoformat(day), uuid.UUID(record_id))


class RecordRepository(Repository):
    async def add(self, record: CatalogRecord) -> None:
        self.session.add(record)
        await self.session.flush()

    async def add_all(self, records: Sequence[CatalogRecord]) -> None:
        """In one flush: one INSERT of all their rows (SQLAlchemy's insertmanyvalues)."""
        self.session.add_all(records)
        await self.session.flush()

    async def get(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id)

    async def institution_of(self, record: CatalogRecord) -> Institution | None:
        return await self.session.get(Institution, record.institution_code)

    async def for_person(
        self,
        person_key: str,
        status: RecordStatus,
        filters: RecordFilter,
        limit: int,
        after: RecordCursor | None,
    ) -> list[tuple[CatalogRecord, Institution | None]]:
        """Newest care first: ordered by last service date, then id, for stable pages."""
        query, values = page_query(person_key, status, filters, limit, after)
        return [(r, i) for r, i in (await self.session.execute(query, values))]

    async def summary_for_person(
        self, person_key: str, status: RecordStatus, filters: RecordFilter
    ) -> list[RecordSummary]:
        """One row per institution and specialty: how much is held, over which years."""
        query, values = summary_query(person_key, status, filters)
        return list(await self.session.execute(query, values))

    async def counts(self) -> dict[str, int]:
        """Records by status, and `persons`: how many people have any record."""
        rows = await self.session.execute(
            select(CatalogRecord.status, func.count()).group_by(CatalogRecord.status)
        )
        persons = await self.session.scalar(
            select(func.count(func.distinct(CatalogRecord.person_key)))
        )
        return {
            **{str(status): int(n) for status, n in rows},
            "persons": int(persons or 0),
        }


# A person's list and its summary are built once per shape (which filters are set, whether a
# cursor is), with their values bound at execution: building them per request, an aliased
# subquery of every column, was 40% of catalog's CPU on `GET /v1/me/records`.
_FILTERS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "institution": lambda: CatalogRecord.institution_code == bindparam("institution"),
    "kind": lambda: CatalogRecord.kind == bindparam("kind"),
    "specialty": lambda: CatalogRecord.specialty == bindparam("specialty"),
    # The period: service overlapping [service_from, service_to].
    "service_from": lambda: CatalogRecord.service_end >= bindparam("service_from"),
    "service_to": lambda: CatalogRecord.service_start <= bindparam("service_to"),
    "indexed_from": lambda: CatalogRecord.created_at >= bindparam("indexed_from"),
    "indexed_before": lambda: CatalogRecord.created_at < bindparam("indexed_before"),
}


def _values(person_key: str, status: RecordStatus, filters: RecordFilter) -> dict[str, object]:
    set_ = {name: getattr(filters, name) for name in _FILTERS if getattr(filters, name)}
    return {"person_key": person_key, "status": status, **set_}


@cache
def _of_person(shape: frozenset[str]) -> Select[CatalogRecord]:
    return select(CatalogRecord).where(
        CatalogRecord.person_key == bindparam("person_key"),
        CatalogRecord.status == bindparam("status"),
        *(_FILTERS[name]() for name in sorted(shape)),
    )


@cache
def _page(shape: frozenset[str], after: bool) -> Select[CatalogRecord, Institution]:
    records = _of_person(shape)
    if after:
        records = records.where(
            tuple_(CatalogRecord.service_end, CatalogRecord.record_id)
            < tuple_(
                bindparam("after_end", type_=CatalogRecord.service_end.type),
                bindparam("after_id", type_=CatalogRecord.record_id.type),
            )
        )
    page = (
        records.order_by(CatalogRecord.service_end.desc(), CatalogRecord.record_id.desc())
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    held = aliased(CatalogRecord, page)
    return (
        select(held, Institution)
        .outerjoin(Institution, Institution.code == held.institution_code)
        .order_by(held.service_end.desc(), held.record_id.desc())
    )


def page_query(
    person_key: str,
    status: RecordStatus,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> tuple[Select[CatalogRecord, Institution], dict[str, object]]:
    """`for_person`'s statement and its values (the benchmark EXPLAINs it). The page is cut
    first, by ix_records_person_page in its order, and only its rows are joined to
    institutions."""
    values = _values(person_key, status, filters) | {"limit": limit}
    if after is not None:
        values |= {"after_end": after.service_end, "after_id": after.record_id}
    return _page(frozenset(values) & frozenset(_FILTERS), after is not None), values


@cache
def _summary(shape: frozenset[str]) -> Select[str, str | None, str, int, date, date]:
    records = _of_person(shape).subquery()
    return (
        select(
            records.c.institution_code,
            Institution.name,
            records.c.specialty,
            func.count(),
            func.min(records.c.service_start),
            func.max(records.c.service_end),
        )
        .outerjoin(Institution, Institution.code == records.c.institution_code)
        .group_by(records.c.institution_code, Institution.name, records.c.specialty)
        .order_by(func.max(records.c.service_end).desc())
    )


def summary_query(
    person_key: str, status: RecordStatus, filters: RecordFilter
) -> tuple[Select[str, str | None, str, int, date, date], dict[str, object]]:
    values = _values(person_key, status, filters)
    return _summary(frozenset(values) & frozenset(_FILTERS)), values
