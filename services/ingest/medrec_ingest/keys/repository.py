"""The SQL of key rotation: which KEKs the records depend on, and moving them to another one.
Nothing here commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, or_, select, update

from medrec_ingest.models import Record
from medrec_shared.platform.db import Repository


def sealed_kek() -> ColumnElement[str]:
    """The KEK id inside a record's sealed patient field, read in SQL so references are counted
    where the rows are. Mirrors crypto.seal's layout: b"MRS1" | id length u8 | id | ..."""
    blob = Record.patient_sealed
    return func.convert_from(func.substr(blob, 6, func.get_byte(blob, 4)), "UTF8", type_=String)


@dataclass(frozen=True)
class KeyUse:
    """How many records depend on one KEK: for their content's data key, their patient field."""

    data_keys: int = 0
    patient_fields: int = 0


@dataclass(frozen=True)
class WrappedKeys:
    """A record's keys as the re-wrap job sees them."""

    record_id: uuid.UUID
    kek_id: str | None
    wrapped_dek: bytes | None
    patient_sealed: bytes


class KeyReferenceRepository(Repository):
    """Which KEKs the records depend on, and moving them to another one (key rotation)."""

    @staticmethod
    def _not_under(active: str) -> ColumnElement[bool]:
        return or_(
            and_(Record.wrapped_dek.is_not(None), Record.kek_id.is_distinct_from(active)),
            sealed_kek() != active,
        )

    async def lock_not_under(
        self, active: str, after: uuid.UUID | None, limit: int
    ) -> list[WrappedKeys]:
        """The next `limit` records after `after` (in record_id order, so a pass walks the primary
        key once) with a key under another KEK than `active`, locked until commit. Rows a writer
        holds are skipped rather than waited for: a later pass takes them."""
        query = select(
            Record.record_id, Record.kek_id, Record.wrapped_dek, Record.patient_sealed
        ).where(self._not_under(active))
        if after is not None:
            query = query.where(Record.record_id > after)
        rows = await self.session.execute(
            query.order_by(Record.record_id).limit(limit).with_for_update(skip_locked=True)
        )
        return [WrappedKeys(*row) for row in rows]

    async def count_not_under(self, active: str) -> int:
        count = await self.scalar(select(func.count()).where(self._not_under(active)))
        return int(count)

    async def replace(self, changes: Sequence[dict[str, Any]]) -> None:
        """New key columns by record_id (each dict: record_id and the columns that change)."""
        if changes:
            await self.session.execute(update(Record), list(changes))

    async def references(self) -> dict[str, KeyUse]:
        """Records depending on each KEK id."""
        data = await self.session.execute(
            select(Record.kek_id, func.count())
            .where(Record.wrapped_dek.is_not(None))
            .group_by(Record.kek_id)
        )
        # Grouped in an outer query: the expression's bound parameters would not match in a
        # GROUP BY of its own.
        per_row = select(sealed_kek().label("kek")).subquery()
        sealed = await self.session.execute(
            select(per_row.c.kek, func.count()).group_by(per_row.c.kek)
        )
        uses: dict[str, KeyUse] = {}
        for kek_id, count in data:
            uses[str(kek_id)] = KeyUse(data_keys=count)
        for kek_id, count in sealed:
            uses[kek_id] = KeyUse(uses.get(kek_id, KeyUse()).data_keys, count)
        return uses
