"""Keeping segments tidy (models.Segment): a segment whose records were mostly destroyed is
compacted, its live records' spans copied as they are into a new segment; a segment no record
points into any more is deleted; an object no row points at (a record's or a segment's), written
longer than orphan_grace_seconds ago, is deleted. The worker runs all three every
segment_sweep_seconds, and an operator can run them now (endpoints.py).

Destroying a record does not wait for either: its row, and the data key in it, go at once
(destruction/service.py), and the bytes left in its segment are noise without that key.

Crash safety:
- the sweep deletes a segment's object before its row's commit: a crash between leaves the row,
  and the next sweep deletes the (absent) object again;
- a compaction first commits its new segment's row, empty; then uploads; then, under the lock of
  that row and of the records, points the records at it. A crash before the last commit leaves
  an empty segment, which the sweep deletes; if the sweep took it first, the compaction finds
  its row gone and moves nothing;
- a deposit stores its object before the row that points at it commits (no transaction is
  held across storage): a crash between leaves an object nothing points at, an orphan. Nothing
  else would ever delete it, so the orphan sweep does, once it is older than any deposit's
  store-then-commit can take (orphan_grace_seconds, a day: an object uploaded in parts may be
  dated by its first part): a younger one may be a deposit in flight.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.models import Segment
from medrec_ingest.segments.repository import SegmentRepository
from medrec_shared.platform import failpoints
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.vault import Vault

SWEEP_BATCH = 100
SEGMENTS, RECORDS = "segments/", "records/"  # the prefixes of what deposits store


def segment_key() -> str:
    """Ids only, like the records' keys: storage operators can see keys."""
    return f"{SEGMENTS}{new_id()}"


def add_segment(session: AsyncSession, segment: Segment) -> None:
    """A new segment's row, into the caller's transaction (written with the records in it)."""
    SegmentRepository(session).add(segment)


@dataclass(frozen=True)
class Tidied:
    compacted: int  # segments whose live records were moved into a new one
    deleted: int  # segments deleted, nothing pointing into them any more
    orphans: int = 0  # objects deleted that no row pointed at


async def tidy(
    transactions: Transactions, vault: Vault, live_share: float, orphan_grace: float
) -> Tidied:
    compacted = await compact(transactions, vault, live_share)
    deleted = await sweep_empty(transactions, vault)
    return Tidied(compacted, deleted, await sweep_orphans(transactions, vault, orphan_grace))


async def sweep_orphans(transactions: Transactions, vault: Vault, grace: float) -> int:
    """Deletes the records' and segments' objects older than `grace` seconds that no row points
    at. A row committed after the listing points at an object written within `grace` (a
    deposit commits right after it stores), which the listing leaves out."""
    deleted = 0
    for prefix in (RECORDS, SEGMENTS):
        keys = await vault.store.keys_older_than(vault.bucket, prefix, grace)
        for start in range(0, len(keys), SWEEP_BATCH):
            batch = keys[start : start + SWEEP_BATCH]
            record_ids = [i for i in map(_record_of, batch) if i is not None]
            segment_keys = [k for k in batch if k.startswith(SEGMENTS)]
            async with transactions.read() as session:
                pointed = await SegmentRepository(session).pointed_at(record_ids, segment_keys)
            for key in batch:
                known = key.startswith(SEGMENTS) or _record_of(key) is not None
                if known and key not in pointed:
                    await vault.delete(key)
                    deleted += 1
    return deleted


def _record_of(key: str) -> uuid.UUID | None:
    """The record a record's object is named after (`records/<id>` or `records/<id>/<upload>`:
    deposit.service.object_key); None for a segment's or a key of another shape."""
    if not key.startswith(RECORDS):
        return None
    try:
        return uuid.UUID(key[len(RECORDS) :].split("/", 1)[0])
    except ValueError:
        return None


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
