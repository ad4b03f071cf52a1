"""All SQL on institutions. Which records count as held is not decided here: the caller
(`directory.service`, from `records.service`) passes that status."""

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.models import (
    Institution,
    InstitutionRecordCount,
    InstitutionStatus,
    RecordStatus,
)
from medrec_shared.platform.db import Repository
from medrec_shared.rules.custody import CustodyStatus
from medrec_shared.rules.regions import spellings

_HELD_COUNT = func.coalesce(InstitutionRecordCount.records, 0)


def custody_filter(custody: CustodyStatus) -> ColumnElement[bool]:
    """The institutions whose custody shown (`directory.service.custody_shown`) is `custody`:
    held when records are here, transferring while a transfer is open, else the declared one.
    Plain predicates, not a CASE: the planner estimates a declared status from its statistics."""
    if custody == CustodyStatus.held:
        return _HELD_COUNT > 0
    if custody == CustodyStatus.transferring:
        return and_(_HELD_COUNT == 0, Institution.open_transfer_id.is_not(None))
    return and_(
        Institution.custody_status == custody,
        Institution.open_transfer_id.is_(None),
        _HELD_COUNT == 0,
    )


class InstitutionRepository(Repository):
    async def upsert(self, values: dict[str, object]) -> None:
        statement = insert(Institution).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Institution.code],
                set_={k: statement.excluded[k] for k in values if k != "code"},
            )
        )

    async def set_status(self, code: str, status: InstitutionStatus, *, now: datetime) -> None:
        await self.session.execute(
            update(Institution)
            .where(Institution.code == code)
            .values(status=status, updated_at=now)
        )

    @staticmethod
    def _with_counts(held: RecordStatus) -> Select[Institution, int]:
        # The kept count (institution_record_counts), not a count of records per row.
        return select(Institution, _HELD_COUNT).outerjoin(
            InstitutionRecordCount,
            and_(
                InstitutionRecordCount.institution_code == Institution.code,
                InstitutionRecordCount.status == held,
            ),
        )

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
        custody: CustodyStatus | None = None,
    ) -> list[tuple[Institution, int]]:
        query = self.search_query(q, region, type_, held, limit, after, custody)
        # Planned for this `q`: a common term is best read in code order until the page is
        # full, a rare one from its index; a prepared statement's generic plan, made for no
        # term in particular, would read every name for a rare one.
        await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        return [(i, int(n)) for i, n in (await self.session.execute(query))]

    def search_query(
        self,
        q: str | None,
        region: str | None,
        type_: str | None,
        held: RecordStatus,
        limit: int,
        after: str | None,
        custody: CustodyStatus | None = None,
    ) -> Select[Institution, int]:
        """`search`'s statement (the benchmark EXPLAINs it). `q` matches any part of the name,
        its spacing ignored on both sides."""
        query = self._with_counts(held)
        folded = "".join(q.split()).lower() if q else ""
        if len(folded) == 2:
            # Exact for two letters, and the pairs' statistics give the planner true counts
            # (pg_trgm has no whole trigram to look up; migration d7e3f9a1b254).
            query = query.where(Institution.name_pairs.contains([folded]))
        elif folded:
            escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Institution.name_folded.like(f"%{escaped}%", escape="\\"))
        if region:
            # any spelling of the region: "11", "서울" and "서울특별시" are one (rules.regions)
            query = query.where(Institution.region.in_(sorted(spellings(region))))
        if custody:
            query = query.where(custody_filter(custody))
        if type_:
            query = query.where(Institution.type == type_)
        if after:
            query = query.where(Institution.code > after)
        return query.order_by(Institution.code).limit(limit)

    async def set_custody(self, code: str, values: dict[str, object]) -> None:
        await self.session.execute(
            update(Institution).where(Institution.code == code).values(**values)
        )

    async def transfer_opened(self, code: str, transfer_id: object) -> None:
        await self.session.execute(
            update(Institution).where(Institution.code == code).values(open_transfer_id=transfer_id)
        )

    async def transfer_closed(self, transfer_id: object) -> None:
        """A transfer completed or released: its institution has none open any more."""
        await self.session.execute(
            update(Institution)
            .where(Institution.open_transfer_id == transfer_id)
            .values(open_transfer_id=None)
        )

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Institution)) or 0)
