"""The SQL of linkage in ingest: filing a record without an RRN under a person's key, or taking
it back; and the match keys of records deposited without an RRN before there were match keys
(the backfill). Nothing here commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select, update

from medrec_ingest.models import Record, RecordStatus
from medrec_ingest.records.rules import held
from medrec_shared.platform.db import Repository


@dataclass(frozen=True)
class Unkeyed:
    """A record without an RRN and without a match key, as the backfill sees it."""

    record_id: uuid.UUID
    status: RecordStatus
    patient_sealed: bytes
    birth_date: date
    sex: str


def _unkeyed() -> ColumnElement[bool]:
    """Held, deposited without an RRN (no person key: a record with an RRN always has one, and a
    link sets one only on a record with a match key), and no match key yet."""
    return and_(
        Record.person_key.is_(None),
        Record.match_key.is_(None),
        held(),
    )


class LinkageRepository(Repository):
    async def file_under(self, record_id: uuid.UUID, person_key: str | None) -> bool:
        """Sets (or, with None, clears) the person key of a record deposited without an RRN;
        records that came with one are never touched. False when no such record is held."""
        result = await self.session.execute(
            update(Record)
            .where(Record.record_id == record_id, Record.match_key.is_not(None))
            .values(person_key=person_key)
            .returning(Record.record_id)
        )
        return result.first() is not None

    async def lock_unkeyed(self, after: uuid.UUID | None, limit: int) -> list[Unkeyed]:
        """The next `limit` records without an RRN or a match key after `after` (record_id order,
        so a run walks the primary key once), locked until commit. Rows another transaction
        holds (an upload, a destruction) are skipped rather than waited for: a rerun takes
        them."""
        query = select(
            Record.record_id, Record.status, Record.patient_sealed, Record.birth_date, Record.sex
        ).where(_unkeyed())
        if after is not None:
            query = query.where(Record.record_id > after)
        rows = await self.session.execute(
            query.order_by(Record.record_id).limit(limit).with_for_update(skip_locked=True)
        )
        return [Unkeyed(*row) for row in rows]

    async def set_match_keys(self, keys: Sequence[tuple[uuid.UUID, str]]) -> None:
        """Match keys by record_id, for rows the caller holds locked (`lock_unkeyed`)."""
        if keys:
            await self.session.execute(
                update(Record), [{"record_id": r, "match_key": k} for r, k in keys]
            )

    async def count_unkeyed(self) -> int:
        return int(await self.scalar(select(func.count()).where(_unkeyed())))
