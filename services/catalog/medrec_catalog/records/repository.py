"""All SQL on a person's records. Which status may be shown is not decided here: the caller
(`records.service`) passes it."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.orm import aliased

from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_shared.db import Repository

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

    async def get(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id)

    async def institution_of(self, record: CatalogRecord) -> Institution | None:
        return await self.session.get(Institution, record.institution_code)

    def _of_person(
        self, person_key: str, status: RecordStatus, filters: RecordFilter
    ) -> Select[CatalogRecord]:
        query = select(CatalogRecord).where(
            CatalogRecord.person_key == person_key, CatalogRecord.status == status
        )
        if filters.institution:
            query = query.where(CatalogRecord.institution_code == filters.institution)
        if filters.kind:
            query = query.where(CatalogRecord.kind == filters.kind)
        if filters.specialty:
            query = query.where(CatalogRecord.specialty == filters.specialty)
        if filters.service_from:
            query = query.where(CatalogRecord.service_end >= filters.service_from)
        if filters.service_to:
            query = query.where(CatalogRecord.service_start <= filters.service_to)
        return query

    async def for_person(
        self,
        person_key: str,
        status: RecordStatus,
        filters: RecordFilter,
        limit: int,
        after: RecordCursor | None,
    ) -> list[tuple[CatalogRecord, Institution | None]]:
        """Newest care first: ordered by last service date, then id, for stable pages."""
        records = self._of_person(person_key, status, filters)
        if after is not None:
            records = records.where(
                tuple_(CatalogRecord.service_end, CatalogRecord.record_id)
                < tuple_(literal(after.service_end), literal(after.record_id))
            )
        page = (
            records.order_by(CatalogRecord.service_end.desc(), CatalogRecord.record_id.desc())
            .limit(limit)
            .subquery()
        )
        held = aliased(CatalogRecord, page)
        query = (
            select(held, Institution)
            .outerjoin(Institution, Institution.code == held.institution_code)
            .order_by(held.service_end.desc(), held.record_id.desc())
        )
        return [(r, i) for r, i in (await self.session.execute(query)).tuples()]

    async def summary_for_person(
        self, person_key: str, status: RecordStatus, filters: RecordFilter
    ) -> list[RecordSummary]:
        """One row per institution and specialty: how much is held, over which years."""
        records = self._of_person(person_key, status, filters).subquery()
        query = (
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
        return list((await self.session.execute(query)).tuples())

    async def counts(self) -> dict[str, int]:
        """Records by status, and `persons`: how many people have any record."""
        rows = await self.session.execute(
            select(CatalogRecord.status, func.count()).group_by(CatalogRecord.status)
        )
        persons = await self.session.scalar(
            select(func.count(func.distinct(CatalogRecord.person_key)))
        )
        return {
            **{str(status): int(n) for status, n in rows.tuples()},
            "persons": int(persons or 0),
        }
