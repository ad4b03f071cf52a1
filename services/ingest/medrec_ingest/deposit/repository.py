"""The SQL of records as deposits write and read them. Nothing here commits: the caller's
transaction does."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from medrec_ingest.models import Record, RecordStatus, Transfer
from medrec_ingest.records.rules import TAKES_CONTENT, stored
from medrec_shared.platform.db import Repository
from medrec_shared.platform.vault import StoredContent


@dataclass(frozen=True)
class OwnedRecord:
    record: Record
    client_id: str  # the client whose transfer holds it


# Not ours to set on insert (created_at is: the service's clock's, not the database's).
_SERVER_SET: frozenset[str] = frozenset()


_RECORDS = cast(Table, Record.__table__)
_HOLDER = aliased(Transfer)  # the transfer holding a record found under an external_id
# Built once, and Core, not the ORM's bulk insert: the rows are plain dicts already, and the
# ORM's bulk path costs more CPU than the statement itself for a single record.
_INSERT_NEW = (
    pg_insert(_RECORDS)
    .on_conflict_do_nothing(index_elements=["institution_code", "external_id"])
    .returning(_RECORDS.c.record_id)
)

# Built once, as every single deposit runs it (see insert_new).
_TRANSFER_AND_HELD = (
    select(Transfer, Record, _HOLDER.client_id)
    .outerjoin(
        Record,
        and_(
            Record.institution_code == Transfer.institution_code,
            Record.external_id == bindparam("external_id"),
        ),
    )
    .outerjoin(_HOLDER, _HOLDER.transfer_id == Record.transfer_id)
    .where(Transfer.transfer_id == bindparam("transfer"), Transfer.client_id == bindparam("client"))
    .execution_options(populate_existing=True)
)


def _row(record: Record) -> dict[str, Any]:
    return {
        column.key: getattr(record, column.key)
        for column in Record.__table__.columns
        if column.key not in _SERVER_SET
    }


class RecordRepository(Repository):
    async def get(self, record_id: uuid.UUID) -> Record | None:
        return await self.session.get(Record, record_id)

    async def stored_among(self, record_ids: Sequence[uuid.UUID]) -> list[Record]:
        rows = await self.session.execute(
            select(Record).where(Record.record_id.in_(record_ids), stored())
        )
        return list(rows.scalars())

    async def by_external_id(self, institution_code: str, external_id: str) -> Record | None:
        return await self.scalar(
            select(Record).where(
                Record.institution_code == institution_code, Record.external_id == external_id
            )
        )

    async def find(
        self, institution_code: str, external_ids: Iterable[str]
    ) -> dict[str, OwnedRecord]:
        """The records already held under these external_ids, with the client owning each."""
        ids = list(set(external_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Record, Transfer.client_id)
            .join(Transfer, Transfer.transfer_id == Record.transfer_id)
            .where(Record.institution_code == institution_code, Record.external_id.in_(ids))
            .execution_options(populate_existing=True)
        )
        return {r.external_id: OwnedRecord(r, client_id) for r, client_id in rows}

    async def insert_new(self, records: Sequence[Record]) -> set[uuid.UUID]:
        """Inserts those whose external_id is still free; returns the ids actually inserted.
        A record deposited concurrently under the same id makes ours a no-op, never an error.
        Rows go in external_id order, so concurrent writers cannot deadlock."""
        if not records:
            return set()
        ordered = sorted(records, key=lambda r: (r.institution_code, r.external_id))
        # One statement, sent as multi-row INSERTs in batches (SQLAlchemy's insertmanyvalues).
        result = await self.session.execute(_INSERT_NEW, [_row(r) for r in ordered])
        return set(result.scalars())

    async def transfer_and_held(
        self, transfer_id: uuid.UUID, client_id: str, external_id: str
    ) -> tuple[Transfer | None, OwnedRecord | None]:
        """In one statement: the client's transfer (None when it is not the client's), and the
        record already held under `external_id` for the transfer's institution, if any."""
        row = (
            await self.session.execute(
                _TRANSFER_AND_HELD,
                {"transfer": transfer_id, "client": client_id, "external_id": external_id},
            )
        ).first()
        if row is None:
            return None, None
        transfer, record, holder = row
        return transfer, None if record is None else OwnedRecord(record, holder)

    async def mark_stored(self, record_id: uuid.UUID, stored: StoredContent, now: datetime) -> bool:
        """Content is in: only a record still awaiting it changes (the first upload wins)."""
        result = await self.session.execute(
            update(Record)
            .where(Record.record_id == record_id, Record.status == TAKES_CONTENT)
            .values(
                status=RecordStatus.stored,
                object_key=stored.object_key,
                kek_id=stored.kek_id,
                wrapped_dek=stored.wrapped_dek,
                stored_at=now,
            )
            .returning(Record.record_id)
        )
        return result.first() is not None

    async def match_key(self, record_id: uuid.UUID) -> str | None:
        return await self.scalar(select(Record.match_key).where(Record.record_id == record_id))
