"""The SQL of an import: closures written by batch, keyed by their 요양기관기호 or, without one,
by their natural key (`hira.natural_key`) and a code from `institution_import_codes`."""

from datetime import datetime
from typing import Any

from sqlalchemy import case, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from medrec_catalog.closures.hira import Closure
from medrec_catalog.models import Institution
from medrec_shared.platform.db import Repository

IMPORTED_BY = "import"  # custody_updated_by of a custody the file set (staff's stand)


class ClosureRepository(Repository):
    async def codes_of(self, keys: list[str]) -> dict[str, str]:
        rows = await self.session.execute(
            select(Institution.hira_key, Institution.code).where(Institution.hira_key.in_(keys))
        )
        return {key: code for key, code in rows if key is not None}

    async def new_codes(self, count: int) -> list[str]:
        rows = await self.session.execute(
            text("SELECT nextval('institution_import_codes') FROM generate_series(1, :n)"),
            {"n": count},
        )
        return [f"{value:08d}" for (value,) in rows]

    async def upsert(self, rows: list[tuple[str, Closure]], now: datetime) -> int:
        """Writes (code, closure) pairs; answers how many were new. A deposited institution keeps
        its own name and address; a custody set by staff stands over the file's."""
        values: list[dict[str, Any]] = [
            {
                "code": code,
                "name": c.name,
                "type": c.type,
                "address": c.address,
                "region": c.region,
                "status": c.status,
                "closed_on": c.closed_on,
                "updated_at": now,
                "source": "hira",
                "hira_key": None if c.code else c.key,
                "custody_status": c.custody or "unknown",
                "custody_holder": c.holder,
                "custody_contact": c.contact,
                "custody_updated_by": IMPORTED_BY if c.custody else None,
                "custody_updated_at": now if c.custody else None,
            }
            for code, c in rows
        ]
        statement = insert(Institution).values(values)
        new = statement.excluded
        table = Institution.__table__.c
        ours = table.source == "hira"
        file_custody = new.custody_updated_by.is_not(None) & or_(
            table.custody_updated_by.is_(None), table.custody_updated_by == IMPORTED_BY
        )

        def kept(column: str, when: Any) -> Any:
            return case((when, new[column]), else_=table[column])

        upsert: Any = statement.on_conflict_do_update(
            index_elements=[Institution.code],
            set_={
                **{c: kept(c, ours) for c in ("name", "type", "address", "region", "status")},
                "closed_on": kept("closed_on", ours),
                "updated_at": now,
                **{
                    c: kept(c, file_custody)
                    for c in (
                        "custody_status",
                        "custody_holder",
                        "custody_contact",
                        "custody_updated_by",
                        "custody_updated_at",
                    )
                },
            },
        ).returning(literal_column("(xmax = 0)"))
        result = await self.session.execute(upsert)
        return sum(1 for (inserted,) in result if inserted)
