"""All SQL on institutions. Which records count as held is not decided here: the caller
(`directory.service`, from `records.service`) passes that status."""

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import CatalogRecord, Institution, InstitutionStatus, RecordStatus
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

    async def set_status(self, code: str, status: InstitutionStatus) -> None:
        await self.session.execute(
            update(Institution).where(Institution.code == code).values(status=status)
        )

    @staticmethod
    def _with_counts(held: RecordStatus) -> Select[Institution, int]:
        count = (
            select(func.count())
            .where(
                CatalogRecord.institution_code == Institution.code,
                CatalogRecord.status == held,
            )
            .correlate(Institution)
            .scalar_subquery()
        )
        return select(Institution, count)

    async def get(self, code: str, held: RecordStatus) -> tuple[Institution, int] | None:
        """The institution and how many of its records are in status `held`."""
        row = (
            await self.session.execute(self._with_counts(held).where(Institution.code == code))
        ).first()
        return (row[0], int(row[1])) if row else None

    async def search(
        self,
        q: str | None,
        region: str | None,
        type_: str | None,
        held: RecordStatus,
        limit: int,
        after: str | None,
    ) -> list[tuple[Institution, int]]:
        query = self._with_counts(held)
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
