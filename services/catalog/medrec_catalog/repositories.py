import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import AccessLogEntry, CatalogRecord, Institution
from medrec_shared.db import Repository


class InstitutionRepository(Repository):
    async def upsert(self, values: dict[str, object]) -> None:
        statement = insert(Institution).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Institution.code],
                set_={k: statement.excluded[k] for k in values if k != "code"},
            )
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

    async def for_person(
        self,
        person_key: str,
        *,
        institution: str | None,
        kind: str | None,
        specialty: str | None,
        limit: int,
        after: uuid.UUID | None,
    ) -> Sequence[tuple[CatalogRecord, Institution | None]]:
        query = (
            select(CatalogRecord, Institution)
            .outerjoin(Institution, Institution.code == CatalogRecord.institution_code)
            .where(CatalogRecord.person_key == person_key, CatalogRecord.status == "available")
        )
        if institution:
            query = query.where(CatalogRecord.institution_code == institution)
        if kind:
            query = query.where(CatalogRecord.kind == kind)
        if specialty:
            query = query.where(CatalogRecord.specialty == specialty)
        if after:
            query = query.where(CatalogRecord.record_id > after)
        rows = await self.session.execute(query.order_by(CatalogRecord.record_id).limit(limit))
        return [(r, i) for r, i in rows.tuples()]

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
