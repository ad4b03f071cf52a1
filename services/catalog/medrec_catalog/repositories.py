import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from medrec_catalog.models import AccessLogEntry, CatalogRecord, Institution
from medrec_shared.db import Repository


@dataclass(frozen=True)
class RecordFilter:
    institution: str | None = None
    kind: str | None = None
    specialty: str | None = None


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


class InstitutionRepository(Repository):
    async def upsert(self, values: dict[str, object]) -> None:
        statement = insert(Institution).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Institution.code],
                set_={k: statement.excluded[k] for k in values if k != "code"},
            )
        )

    async def set_status(self, code: str, status: str) -> None:
        await self.session.execute(
            update(Institution).where(Institution.code == code).values(status=status)
        )

    @staticmethod
    def _with_counts() -> Select[Institution, int]:
        held = (
            select(func.count())
            .where(
                CatalogRecord.institution_code == Institution.code,
                CatalogRecord.status == "available",
            )
            .correlate(Institution)
            .scalar_subquery()
        )
        return select(Institution, held)

    async def get(self, code: str) -> tuple[Institution, int] | None:
        row = (
            await self.session.execute(self._with_counts().where(Institution.code == code))
        ).first()
        return (row[0], int(row[1])) if row else None

    async def search(
        self, q: str | None, region: str | None, type_: str | None, limit: int, after: str | None
    ) -> list[tuple[Institution, int]]:
        query = self._with_counts()
        if q:
            escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Institution.name.ilike(f"%{escaped}%", escape="\\"))
        if region:
            query = query.where(Institution.region == region)
        if type_:
            query = query.where(Institution.type == type_)
        if after:
            query = query.where(Institution.code > after)
        rows = await self.session.execute(query.order_by(Institution.code).limit(limit))
        return [(i, int(n)) for i, n in rows.tuples()]

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Institution)) or 0)


class RecordRepository(Repository):
    async def add(self, record: CatalogRecord) -> None:
        self.session.add(record)
        await self.session.flush()

    async def get(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id)

    def _of_person(self, person_key: str, filters: "RecordFilter") -> Select[CatalogRecord]:
        query = select(CatalogRecord).where(
            CatalogRecord.person_key == person_key, CatalogRecord.status == "available"
        )
        if filters.institution:
            query = query.where(CatalogRecord.institution_code == filters.institution)
        if filters.kind:
            query = query.where(CatalogRecord.kind == filters.kind)
        if filters.specialty:
            query = query.where(CatalogRecord.specialty == filters.specialty)
        return query

    async def for_person(
        self, person_key: str, filters: "RecordFilter", limit: int, after: "RecordCursor | None"
    ) -> list[tuple[CatalogRecord, Institution | None]]:
        """Newest care first: ordered by last service date, then id, for stable pages."""
        records = self._of_person(person_key, filters)
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

    async def summary_for_person(self, person_key: str, filters: "RecordFilter") -> list[Any]:
        """One row per institution and specialty: how much is held, over which years."""
        records = self._of_person(person_key, filters).subquery()
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
        return list((await self.session.execute(query)).all())

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(CatalogRecord.status, func.count()).group_by(CatalogRecord.status)
        )
        persons = await self.session.scalar(
            select(func.count(func.distinct(CatalogRecord.person_key)))
        )
        return {**{status: int(n) for status, n in rows.tuples()}, "persons": int(persons or 0)}


class AccessLogRepository(Repository):
    async def add(self, entry: AccessLogEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def for_subject(
        self, person_key: str, limit: int, before: uuid.UUID | None
    ) -> Sequence[AccessLogEntry]:
        query = select(AccessLogEntry).where(AccessLogEntry.subject_person_key == person_key)
        if before:
            query = query.where(AccessLogEntry.event_id < before)
        rows = await self.session.execute(
            query.order_by(AccessLogEntry.event_id.desc()).limit(limit)
        )
        return rows.scalars().all()


class RetentionRepository(Repository):
    async def claim_due(self, today: date, limit: int) -> Sequence[CatalogRecord]:
        """Records past their period, locked so that concurrent sweeps never emit one twice."""
        rows = await self.session.execute(
            select(CatalogRecord)
            .where(CatalogRecord.status == "available", CatalogRecord.retention_until < today)
            .order_by(CatalogRecord.retention_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return rows.scalars().all()

    async def for_update(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id, with_for_update=True)
