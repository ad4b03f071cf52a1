"""All SQL on a person's records. Which status may be shown is not decided here: the caller
(`records.service`) passes it."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, func, select, tuple_
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
        """By id alone: one probe of each partition's key (records are split by person)."""
        return await self.session.get(CatalogRecord, record_id)

    async def of_person(self, record_id: uuid.UUID, person_key: str) -> CatalogRecord | None:
        """The person's own record: naming the person reads one partition, not all."""
        return await self.session.scalar(of_person_query(), {"id": record_id, "key": person_key})

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

    async def listed_for_person(
        self,
        person_key: str,
        status: RecordStatus,
        filters: RecordFilter,
        limit: int,
        after: RecordCursor | None,
    ) -> list[Row[tuple[object, ...]]]:
        """`for_person`'s page as the owner's list shows it (`LISTED`, then the institution's
        name), as rows rather than mapped objects."""
        query, values = listed_query(person_key, status, filters, limit, after)
        return list(await self.session.execute(query, values))

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
# Each takes the records' columns: the mapped class, or the table's (`_RECORDS.c`).
_FILTERS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "institution": lambda r: r.institution_code == bindparam("institution"),
    "kind": lambda r: r.kind == bindparam("kind"),
    "specialty": lambda r: r.specialty == bindparam("specialty"),
    # The period: service overlapping [service_from, service_to].
    "service_from": lambda r: r.service_end >= bindparam("service_from"),
    "service_to": lambda r: r.service_start <= bindparam("service_to"),
    "indexed_from": lambda r: r.created_at >= bindparam("indexed_from"),
    "indexed_before": lambda r: r.created_at < bindparam("indexed_before"),
}
_RECORDS = CatalogRecord.__table__
_INSTITUTIONS = Institution.__table__


def _values(person_key: str, status: RecordStatus, filters: RecordFilter) -> dict[str, object]:
    set_ = {name: getattr(filters, name) for name in _FILTERS if getattr(filters, name)}
    return {"person_key": person_key, "status": status, **set_}


def _of_person_where(r: Any, shape: frozenset[str]) -> list[ColumnElement[bool]]:
    """The person's records in the status, with the filters of `shape`; `r`: their columns."""
    return [
        r.person_key == bindparam("person_key"),
        r.status == bindparam("status"),
        *(_FILTERS[name](r) for name in sorted(shape)),
    ]


@cache
def _of_person(shape: frozenset[str]) -> Select[CatalogRecord]:
    return select(CatalogRecord).where(*_of_person_where(CatalogRecord, shape))


def _keyset(r: Any, records: Select[Any]) -> Select[Any]:
    """`records` after the cursor's (service_end, record_id), in the page's order."""
    return records.where(
        tuple_(r.service_end, r.record_id)
        < tuple_(
            bindparam("after_end", type_=_RECORDS.c.service_end.type),
            bindparam("after_id", type_=_RECORDS.c.record_id.type),
        )
    )


@cache
def _page(shape: frozenset[str], after: bool) -> Select[CatalogRecord, Institution]:
    records = _of_person(shape)
    if after:
        records = _keyset(CatalogRecord, records)
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


def _page_values(
    person_key: str,
    status: RecordStatus,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> tuple[frozenset[str], dict[str, object]]:
    values = _values(person_key, status, filters) | {"limit": limit}
    if after is not None:
        values |= {"after_end": after.service_end, "after_id": after.record_id}
    return frozenset(values) & frozenset(_FILTERS), values


def page_query(
    person_key: str,
    status: RecordStatus,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> tuple[Select[CatalogRecord, Institution], dict[str, object]]:
    """`for_person`'s statement and its values. The page is cut first, by
    ix_records_person_page in its order, and only its rows are joined to institutions."""
    shape, values = _page_values(person_key, status, filters, limit, after)
    return _page(shape, after is not None), values


# What a person's own list shows of a record (records.schemas.listed_record), in this order.
LISTED = (
    "record_id",
    "institution_code",
    "kind",
    "specialty",
    "title",
    "department",
    "service_start",
    "service_end",
    "content_type",
    "size",
    "retention_until",
    "status",
)


@cache
def _listed(shape: frozenset[str], after: bool) -> Select[Any]:
    # Table columns, not the mapped classes: the rows come back as plain rows, without the ORM
    # making an object of each record and institution and keeping them in the session (a third
    # of catalog's CPU on `GET /v1/me/records` went to executing and loading them, py-spy #32).
    columns = _RECORDS.c
    records = select(*(columns[name] for name in LISTED)).where(*_of_person_where(columns, shape))
    if after:
        records = _keyset(columns, records)
    page = (
        records.order_by(_RECORDS.c.service_end.desc(), _RECORDS.c.record_id.desc())
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return (
        select(*(page.c[name] for name in LISTED), _INSTITUTIONS.c.name)
        .outerjoin(_INSTITUTIONS, _INSTITUTIONS.c.code == page.c.institution_code)
        .order_by(page.c.service_end.desc(), page.c.record_id.desc())
    )


def listed_query(
    person_key: str,
    status: RecordStatus,
    filters: RecordFilter,
    limit: int,
    after: RecordCursor | None,
) -> tuple[Select[Any], dict[str, object]]:
    """`listed_for_person`'s statement and its values (the benchmark EXPLAINs it): the page of
    `page_query`, cut the same way, with only the columns the list shows."""
    shape, values = _page_values(person_key, status, filters, limit, after)
    return _listed(shape, after is not None), values


@cache
def _summary(shape: frozenset[str]) -> Select[str, str | None, str, int, date, date]:
    # Table columns, as `_listed`: rows, no mapped objects.
    records = select(_RECORDS).where(*_of_person_where(_RECORDS.c, shape)).subquery()
    return (
        select(
            records.c.institution_code,
            _INSTITUTIONS.c.name,
            records.c.specialty,
            func.count(),
            func.min(records.c.service_start),
            func.max(records.c.service_end),
        )
        .outerjoin(_INSTITUTIONS, _INSTITUTIONS.c.code == records.c.institution_code)
        .group_by(records.c.institution_code, _INSTITUTIONS.c.name, records.c.specialty)
        .order_by(func.max(records.c.service_end).desc())
    )


def summary_query(
    person_key: str, status: RecordStatus, filters: RecordFilter
) -> tuple[Select[str, str | None, str, int, date, date], dict[str, object]]:
    values = _values(person_key, status, filters)
    return _summary(frozenset(values) & frozenset(_FILTERS)), values


@cache
def of_person_query() -> Select[CatalogRecord]:
    """`of_person`'s statement (the benchmark EXPLAINs it)."""
    return select(CatalogRecord).where(
        CatalogRecord.record_id == bindparam("id"),
        CatalogRecord.person_key == bindparam("key"),
    )
