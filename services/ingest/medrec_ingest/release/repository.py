"""The SQL of a release: withdrawing a transfer's records, reading them back for export.
Nothing here commits."""

import uuid

from sqlalchemy import select, update

from medrec_ingest.models import Record, RecordStatus
from medrec_ingest.records.rules import held
from medrec_shared.platform.db import Repository


class ReleaseRepository(Repository):
    async def withdraw(self, transfer_id: uuid.UUID) -> list[tuple[uuid.UUID, str | None]]:
        """Takes a released transfer's records from citizens; returns (record_id, person_key)."""
        result = await self.session.execute(
            update(Record)
            .where(
                Record.transfer_id == transfer_id,
                held(),
            )
            .values(status=RecordStatus.withdrawn)
            .returning(Record.record_id, Record.person_key)
        )
        return [(record_id, person_key) for record_id, person_key in result]

    async def exportable(
        self, transfer_id: uuid.UUID, after: str | None, limit: int
    ) -> list[Record]:
        """A released transfer's records with content, in external_id order from `after`."""
        query = select(Record).where(
            Record.transfer_id == transfer_id,
            Record.status == RecordStatus.withdrawn,
            Record.object_key.is_not(None),
        )
        if after is not None:
            query = query.where(Record.external_id > after)
        rows = await self.session.execute(query.order_by(Record.external_id).limit(limit))
        return list(rows.scalars())
