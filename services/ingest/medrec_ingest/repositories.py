import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from medrec_ingest.models import Destruction, Record, Transfer
from medrec_shared.db import Repository
from medrec_shared.events import Envelope, EventData
from medrec_shared.messaging import Outbox


class TransferRepository(Repository):
    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> Transfer | None:
        """Any client's transfer: for operators."""
        return await self.session.get(Transfer, transfer_id, with_for_update=for_update)

    async def get_for_client(
        self, transfer_id: uuid.UUID, client_id: str, *, for_update: bool = False
    ) -> Transfer | None:
        """A depositor sees only its own transfers (Art. 40-3); others' are simply not found."""
        query = select(Transfer).where(
            Transfer.transfer_id == transfer_id, Transfer.client_id == client_id
        )
        if for_update:
            query = query.with_for_update()
        return await self.scalar(query.execution_options(populate_existing=True))

    async def list_for_client(
        self, client_id: str, limit: int, after: uuid.UUID | None
    ) -> list[Transfer]:
        query = select(Transfer).where(Transfer.client_id == client_id)
        if after is not None:
            query = query.where(Transfer.transfer_id > after)
        rows = await self.session.execute(query.order_by(Transfer.transfer_id).limit(limit))
        return list(rows.scalars())

    async def add(self, transfer: Transfer) -> None:
        self.session.add(transfer)
        await self.session.flush()

    async def count_if_open(
        self,
        transfer_id: uuid.UUID,
        *,
        received: int = 0,
        stored: int = 0,
        failed: int = 0,
        expired: int = 0,
        size: int = 0,
    ) -> bool:
        """Adds to the counts of a transfer that is still open; False (nothing changed) once it
        is not. The row stays locked until commit, so a completion waits for this deposit and
        a deposit after a completion sees it closed."""
        result = await self.session.execute(
            update(Transfer)
            .where(Transfer.transfer_id == transfer_id, Transfer.status == "open")
            .values(
                received=Transfer.received + received,
                stored=Transfer.stored + stored,
                failed=Transfer.failed + failed,
                expired_on_arrival=Transfer.expired_on_arrival + expired,
                bytes=Transfer.bytes + size,
            )
            .returning(Transfer.transfer_id)
        )
        return result.first() is not None

    async def complete(self, transfer: Transfer, record_count: int) -> None:
        transfer.status = "completed"
        transfer.record_count = record_count
        transfer.completed_at = datetime.now(UTC)
        await self.session.flush()


@dataclass(frozen=True)
class OwnedRecord:
    record: Record
    client_id: str  # the client whose transfer holds it


@dataclass(frozen=True)
class Tally:
    total: int
    awaiting: int


# Filled by the database, or not ours to set on insert.
_SERVER_SET = frozenset({"created_at"})


def _row(record: Record) -> dict[str, Any]:
    return {
        column.key: getattr(record, column.key)
        for column in Record.__table__.columns
        if column.key not in _SERVER_SET
    }


class RecordRepository(Repository):
    async def get(self, record_id: uuid.UUID, *, for_update: bool = False) -> Record | None:
        return await self.session.get(Record, record_id, with_for_update=for_update)

    async def stored_among(self, record_ids: Sequence[uuid.UUID]) -> list[Record]:
        rows = await self.session.execute(
            select(Record).where(Record.record_id.in_(record_ids), Record.status == "stored")
        )
        return list(rows.scalars())

    async def withdraw(self, transfer_id: uuid.UUID) -> list[tuple[uuid.UUID, str | None]]:
        """Takes a released transfer's records from citizens; returns (record_id, person_key)."""
        result = await self.session.execute(
            update(Record)
            .where(
                Record.transfer_id == transfer_id,
                Record.status.in_(("stored", "awaiting_content")),
            )
            .values(status="withdrawn")
            .returning(Record.record_id, Record.person_key)
        )
        return [(record_id, person_key) for record_id, person_key in result.tuples()]

    async def unreclaimed(self, now: datetime, limit: int) -> list[Record]:
        """Withdrawn records whose transfer's grace period has ended; rows other runs hold are
        skipped, so several workers may sweep at once."""
        rows = await self.session.execute(
            select(Record)
            .join(Transfer, Transfer.transfer_id == Record.transfer_id)
            .where(Record.status == "withdrawn", Transfer.grace_until <= now)
            .order_by(Record.record_id)
            .limit(limit)
            .with_for_update(of=Record, skip_locked=True)
        )
        return list(rows.scalars())

    async def exportable(
        self, transfer_id: uuid.UUID, after: str | None, limit: int
    ) -> list[Record]:
        """A released transfer's records with content, in external_id order from `after`."""
        query = select(Record).where(
            Record.transfer_id == transfer_id,
            Record.status == "withdrawn",
            Record.object_key.is_not(None),
        )
        if after is not None:
            query = query.where(Record.external_id > after)
        rows = await self.session.execute(query.order_by(Record.external_id).limit(limit))
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
        return {r.external_id: OwnedRecord(r, client_id) for r, client_id in rows.tuples()}

    async def insert_new(self, records: Sequence[Record]) -> set[uuid.UUID]:
        """Inserts those whose external_id is still free; returns the ids actually inserted.
        A record deposited concurrently under the same id makes ours a no-op, never an error.
        Rows go in external_id order, so concurrent writers cannot deadlock."""
        if not records:
            return set()
        ordered = sorted(records, key=lambda r: (r.institution_code, r.external_id))
        statement = (
            pg_insert(Record)
            .on_conflict_do_nothing(index_elements=["institution_code", "external_id"])
            .returning(Record.record_id)
        )
        # One statement, sent as multi-row INSERTs in batches (SQLAlchemy's insertmanyvalues).
        result = await self.session.execute(statement, [_row(r) for r in ordered])
        return set(result.scalars())

    async def mark_stored(
        self, record_id: uuid.UUID, object_key: str, kek_id: str, wrapped_dek: bytes
    ) -> bool:
        """Content is in: only a record still awaiting it changes (the first upload wins)."""
        result = await self.session.execute(
            update(Record)
            .where(Record.record_id == record_id, Record.status == "awaiting_content")
            .values(
                status="stored",
                object_key=object_key,
                kek_id=kek_id,
                wrapped_dek=wrapped_dek,
                stored_at=datetime.now(UTC),
            )
            .returning(Record.record_id)
        )
        return result.first() is not None

    async def tally(self, transfer_id: uuid.UUID) -> Tally:
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count().filter(Record.status == "awaiting_content"),
                ).where(Record.transfer_id == transfer_id)
            )
        ).one()
        return Tally(total=int(row[0]), awaiting=int(row[1]))

    async def awaiting_content(self, transfer_id: uuid.UUID, limit: int) -> list[str]:
        rows = await self.session.execute(
            select(Record.external_id)
            .where(Record.transfer_id == transfer_id, Record.status == "awaiting_content")
            .order_by(Record.external_id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def present(self, transfer_id: uuid.UUID, external_ids: Sequence[str]) -> set[str]:
        if not external_ids:
            return set()
        rows = await self.session.execute(
            select(Record.external_id).where(
                Record.transfer_id == transfer_id,
                Record.external_id
                == any_(bindparam("ids", list(external_ids), type_=ARRAY(String))),
            )
        )
        return set(rows.scalars())


class DestructionRepository(Repository):
    async def for_institution(
        self, institution_code: str, limit: int, after: uuid.UUID | None
    ) -> list[Destruction]:
        query = select(Destruction).where(Destruction.institution_code == institution_code)
        if after is not None:
            query = query.where(Destruction.record_id > after)
        rows = await self.session.execute(query.order_by(Destruction.record_id).limit(limit))
        return list(rows.scalars())


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
        return [WrappedKeys(*row) for row in rows.tuples()]

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
        for kek_id, count in data.tuples():
            uses[str(kek_id)] = KeyUse(data_keys=count)
        for kek_id, count in sealed.tuples():
            uses[kek_id] = KeyUse(uses.get(kek_id, KeyUse()).data_keys, count)
        return uses


class OutboxRepository(Repository):
    async def add_many(
        self, outbox: Outbox, topic: str, events: Sequence[tuple[str, EventData]]
    ) -> None:
        """Several events in one statement, in the caller's transaction (as `Outbox.add`)."""
        if not events:
            return
        rows = []
        for key, data in events:
            envelope = Envelope.wrap(outbox.producer, data)
            rows.append(
                {
                    "event_id": envelope.event_id,
                    "topic": topic,
                    "key": key,
                    "envelope": envelope.model_dump(mode="json"),
                }
            )
        await self.session.execute(insert(outbox.table), rows)
