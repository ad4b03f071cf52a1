"""The SQL of segments: adding one, finding the empty and the mostly dead ones, locking one and
the records in it, and which objects a row points at. Nothing here commits."""

import uuid

from sqlalchemy import exists, func, select

from medrec_ingest.models import Record, Segment
from medrec_shared.platform.db import Repository

_IN_SEGMENT = Record.content_offset.is_not(None)  # matches ix_records_segment


class SegmentRepository(Repository):
    def add(self, segment: Segment) -> None:
        self.session.add(segment)

    async def lock(self, object_key: str) -> Segment | None:
        return await self.session.get(Segment, object_key, with_for_update=True)

    async def empty(self, limit: int) -> list[Segment]:
        """Segments no record points into, locked; those another sweep holds are skipped."""
        rows = await self.session.execute(
            select(Segment)
            .where(~exists().where(Record.object_key == Segment.object_key, _IN_SEGMENT))
            .order_by(Segment.object_key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows.scalars())

    async def sparse(self, live_share: float, limit: int) -> list[str]:
        """Segments whose live records fill less than ``live_share`` of them (but not none:
        an empty one is the sweep's)."""
        live = (
            select(func.sum(Record.content_length))
            .where(Record.object_key == Segment.object_key, _IN_SEGMENT)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(Segment.object_key)
            .where(live < Segment.size * live_share)
            .order_by(Segment.object_key)
            .limit(limit)
        )
        return list(rows.scalars())

    async def records_in(self, object_key: str) -> list[Record]:
        """The records in a segment, locked in record_id order (as destruction and key rotation
        lock them, so none of them can deadlock with a compaction)."""
        rows = await self.session.execute(
            select(Record)
            .where(Record.object_key == object_key, _IN_SEGMENT)
            .order_by(Record.record_id)
            .with_for_update()
        )
        return list(rows.scalars())

    async def pointed_at(self, record_ids: list[uuid.UUID], segment_keys: list[str]) -> set[str]:
        """Of these records' objects and these segments, the object keys a row points at (by
        primary keys only: a record's own object is named after it)."""
        records = await self.session.execute(
            select(Record.object_key).where(
                Record.record_id.in_(record_ids), Record.object_key.is_not(None)
            )
        )
        segments = await self.session.execute(
            select(Segment.object_key).where(Segment.object_key.in_(segment_keys))
        )
        return {key for key in [*records.scalars(), *segments.scalars()] if key is not None}

    async def delete(self, segment: Segment) -> None:
        await self.session.delete(segment)
        await self.session.flush()
