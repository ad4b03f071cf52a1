"""The re-wrap job of a key rotation: every record's data key and sealed patient field moved to
the active KEK, content objects untouched, so the old KEK can then be retired.

Batches of rows, each locked (`SKIP LOCKED`: writers are never waited for) and rewritten in a
transaction of its own, opened from the `Transactions` the job is given. The job only moves what
is not yet under the active KEK, so it can be stopped at any point and run again.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from medrec_ingest.keys.repository import KeyReferenceRepository, KeyUse, WrappedKeys
from medrec_shared.platform.crypto import (
    CryptoError,
    Keyring,
    WrappedKey,
    reseal,
    rewrap,
    sealed_kek_id,
)
from medrec_shared.platform.db import Transactions

BATCH_SIZE = 500
PASSES = 3

# Told after each batch how many rows it went through (moved or not): the job in the service
# (medrec_ingest.jobs) keeps its progress with it.
Progress = Callable[[int], Awaitable[None]]


@dataclass
class RewrapReport:
    active: str
    data_keys: int = 0  # content data keys moved
    patient_fields: int = 0  # sealed patient fields moved
    unreadable: int = 0  # rows whose key would not unwrap (unknown KEK, damage): left as they are
    remaining: int = 0  # rows still under another KEK at the end

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def _moved(keyring: Keyring, row: WrappedKeys, active: str) -> dict[str, Any]:
    """The columns of `row` that change; raises CryptoError if a key cannot be unwrapped."""
    changes: dict[str, Any] = {}
    if row.wrapped_dek is not None and row.kek_id != active:
        assert row.kek_id is not None
        fresh = rewrap(keyring, WrappedKey(row.kek_id, row.wrapped_dek))
        changes |= {"kek_id": fresh.kek_id, "wrapped_dek": fresh.wrapped}
    if sealed_kek_id(row.patient_sealed) != active:
        changes["patient_sealed"] = reseal(keyring, row.patient_sealed)
    return changes


async def _batch(
    transactions: Transactions,
    *,
    keyring: Keyring,
    active: str,
    after: uuid.UUID | None,
    size: int,
    report: RewrapReport,
    progress: Progress | None = None,
) -> tuple[uuid.UUID | None, int]:
    """Moves one batch; returns the last record_id seen (None: the pass is over) and how many
    rows could not be moved."""
    async with transactions.begin() as session:
        repository = KeyReferenceRepository(session)
        rows = await repository.lock_not_under(active, after, size)
        changes, unreadable = [], 0
        for row in rows:
            try:
                changes.append({"record_id": row.record_id} | _moved(keyring, row, active))
            except CryptoError:
                unreadable += 1
        await repository.replace(changes)
    report.data_keys += sum("wrapped_dek" in change for change in changes)
    report.patient_fields += sum("patient_sealed" in change for change in changes)
    if progress is not None:
        await progress(len(rows))
    return (rows[-1].record_id if len(rows) == size else None), unreadable


async def rewrap_records(
    transactions: Transactions,
    keyring: Keyring,
    *,
    batch_size: int = BATCH_SIZE,
    passes: int = PASSES,
    progress: Progress | None = None,
) -> RewrapReport:
    """Moves every record's keys to the keyring's active KEK.

    A pass walks the table once. Another one follows while rows remain that a pass could move:
    rows a writer had locked, or written under the old KEK by a process that had not yet seen
    the activation."""
    report = RewrapReport(keyring.active_kek_id)
    for attempt in range(passes):
        if attempt:
            await asyncio.sleep(0.5 * attempt)  # let the writers holding rows commit
        report.active = keyring.active_kek_id
        after: uuid.UUID | None = None
        unreadable = 0
        while True:
            after, failed = await _batch(
                transactions,
                keyring=keyring,
                active=report.active,
                after=after,
                size=batch_size,
                report=report,
                progress=progress,
            )
            unreadable += failed
            if after is None:
                break
        report.unreadable = unreadable
        report.remaining = await count_not_under(transactions, report.active)
        if report.remaining <= report.unreadable:
            break
    return report


async def count_not_under(transactions: Transactions, active: str) -> int:
    async with transactions.begin() as session:
        return await KeyReferenceRepository(session).count_not_under(active)


async def references(transactions: Transactions) -> dict[str, KeyUse]:
    """Records depending on each KEK id (content data keys, sealed patient fields)."""
    async with transactions.begin() as session:
        return await KeyReferenceRepository(session).references()
