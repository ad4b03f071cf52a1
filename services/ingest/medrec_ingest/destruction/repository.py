"""The SQL of destruction: finding what is due, replacing a record by its log entry, reading the
log. Nothing here commits."""

import uuid
from datetime import datetime

from sqlalchemy import select

from medrec_ingest.models import Destruction, Record, RecordStatus, Transfer
from medrec_shared.platform.db import Repository


class DestructionRepository(Repository):
    async def lock_record(self, record_id: uuid.UUID) -> Record | None:
        return await self.session.get(Record, record_id, with_for_update=True)

    async def unreclaimed(self, now: datetime, limit: int) -> list[Record]:
        """Withdrawn records whose transfer's grace period has ended; rows other runs hold are
        skipped, so several workers may sweep at once."""
        rows = await self.session.execute(
            select(Record)
            .join(Transfer, Transfer.transfer_id == Record.transfer_id)
            .where(Record.status == RecordStatus.withdrawn, Transfer.grace_until <= now)
            .order_by(Record.record_id)
            .limit(limit)
            .with_for_update(of=Record, skip_locked=True)
        )
        return list(rows.scalars())

    def log(self, entry: Destruction) -> None:
        self.session.add(entry)

    async def logged(self, record_id: uuid.UUID) -> bool:
        return await self.session.get(Destruction, record_id) is not None

    async def delete(self, record: Record) -> None:
        """The row goes: the wrapped data key, the sealed patient, the title with it."""
        await self.session.delete(record)
        await self.session.flush()

    async def log_page(
        self, institution_code: str | None, limit: int, after: uuid.UUID | None
    ) -> list[Destruction]:
        """The destruction log (one institution's, when given), in record id order."""
        query = select(Destruction)
        if institution_code is not None:
            query = query.where(Destruction.institution_code == institution_code)
        if after is not None:
            query = query.where(Destruction.record_id > after)
        rows = await self.session.execute(query.order_by(Destruction.record_id).limit(limit))
        return list(rows.scalars())
