"""The SQL of linkage in ingest: filing a record without an RRN under a person's key, or taking
it back. Nothing here commits."""

import uuid

from sqlalchemy import update

from medrec_ingest.models import Record
from medrec_shared.db import Repository


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
