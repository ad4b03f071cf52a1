"""Keeping segments tidy (models.Segment): a segment whose records were mostly destroyed is
compacted, its live records' spans copied as they are into a new segment; a segment no record
points into any more is deleted. The worker runs both every segment_sweep_seconds, and an
operator can run them now (endpoints.py).

Destroying a record does not wait for either: its row, and the data key in it, go at once
(destruction/service.py), and the bytes left in its segment are noise without that key.

Crash safety:
- the sweep deletes a segment's object before its row's commit: a crash between leaves the row,
  and the next sweep deletes the (absent) object again;
- a compaction first commits its new segment's row, empty; then uploads; then, under the lock of
  that row and of the records, points the records at it. A crash before the last commit leaves
  an empty segment, which the sweep deletes; if the sweep took it first, the compaction finds
  its row gone and moves nothing.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.models import Segment
from medrec_ingest.segments.repository import SegmentRepository
from medrec_shared.platform import failpoints
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.vault import Vault

SWEEP_BATCH = 100


def segment_key() -> str:
    """Ids only, like the records' keys: storage operators can see keys."""
    return f"segments/{new_id()}"


def add_segment(session: AsyncSession, segment: Segment) -> None:
    """A new segment's row, into the caller's transaction (written with the records in it)."""
    SegmentRepository(session).add(segment)


@dataclass(frozen=True)
class Tidied:
    compacted: int  # segments whose live records were moved into a new one
    deleted: int  # segments deleted, nothing pointing into them any more


async def tidy(transactions: Transactions, vault: Vault, live_share: float) -> Tidied:
    compacted = await compact(transactions, vault, live_share)
    return Tidied(compacted, await sweep_empty(transactions, vault))


async def sweep_empty(transactions: Transactions, vault: Vault) -> int:
    deleted = 0
    while True:
        async with transactions.begin() as session:
            segments = SegmentRepository(session)
            batch = await segments.empty(SWEEP_BATCH)
            for segment in batch:
                await vault.delete(segment.object_key)  # absent already after a crash: fine
                failpoints.hit("ingest.segments.after_object_delete")
                await segments.delete(segment)
        deleted += len(batch)
        if len(batch) < SWEEP_BATCH:
            return deleted


async def compact(transactions: Transactions, vault: Vault, live_share: float) -> int:
    async with transactions.read() as session:
        sparse = await SegmentRepository(session).sparse(live_share, SWEEP_BATCH)
    compacted = 0
    for source in sparse:
        compacted += await _compact_one(transactions, vault, source)
    return compacted


async def _compact_one(transactions: Transactions, vault: Vault, source: str) -> bool:
    target = Segment(object_key=segment_key(), size=0)
    async with transactions.begin() as session:
        SegmentRepository(session).add(target)
    async with transactions.begin() as session:
        segments = SegmentRepository(session)
        reserved = await segments.lock(target.object_key)
        if reserved is None:  # swept meanwhile: nothing moved
            return False
        records = await segments.records_in(source)
        if not records:  # destroyed meanwhile: the sweep takes both
            return False
        spans = [r.span for r in records if r.span is not None]
        moved = await vault.repack(source, spans, target.object_key)
        failpoints.hit("ingest.segments.after_repack")
        for record, span in zip(records, moved, strict=True):
            record.object_key = target.object_key
            record.content_offset, record.content_length = span.offset, span.length
        reserved.size = sum(span.length for span in moved)
    return True
