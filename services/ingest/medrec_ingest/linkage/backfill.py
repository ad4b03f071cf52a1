"""The match keys of records deposited without an RRN before ingest computed them (issue #14):
without one, catalog never proposes the record to anyone and it stays unseen until destroyed.

For every held record with neither a person key nor a match key, the sealed patient field is
opened, the match key computed as a deposit computes it (`medrec_shared.rules.linkage.match_key` of
the name, birth date and sex), stored, and, for a stored record, announced
(`RecordMatchKeyAssigned`, keyed by the record id as its RecordStored was) through the outbox in
the same transaction: catalog then proposes it to every person who verified already. A record
still awaiting its content is not announced: catalog has not heard of it, and its RecordStored
will carry the key (deposit reads it back when the content comes).

Batches of rows, each locked (`SKIP LOCKED`: uploads and destructions are never waited for) and
keyed in a transaction of its own, opened from the `Transactions` the job is given. A row once
keyed is no longer selected, so the job can be stopped at any point and run again, and a second
run finds nothing to do. Nothing here prints or logs a name, a birth date or an RRN."""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from medrec_ingest.deposit.service import PATIENT_CONTEXT
from medrec_ingest.linkage.repository import LinkageRepository, Unkeyed
from medrec_ingest.models import RecordStatus
from medrec_shared.platform import failpoints
from medrec_shared.platform.crypto import CryptoError, Keyring, unseal
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.messaging import announce
from medrec_shared.rules.events import RecordMatchKeyAssigned
from medrec_shared.rules.linkage import match_key

BATCH_SIZE = 500
# Told after each batch how many rows it went through (medrec_ingest.jobs keeps the progress).
Progress = Callable[[int], Awaitable[None]]


class Unreadable(Exception):
    """A sealed patient field that does not open (its KEK unknown to the keyring, damage) or
    holds no name."""


@dataclass
class BackfillReport:
    keyed: int = 0  # match keys stored
    announced: int = 0  # of them, stored records announced to catalog
    unreadable: int = 0  # left as they are: their patient field would not open
    remaining: int = 0  # records still without a match key at the end

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def match_key_of(keyring: Keyring, person_index_key: bytes, row: Unkeyed) -> str:
    """The match key the record would have got at its deposit; `Unreadable` when its patient
    field cannot give it."""
    try:
        patient = json.loads(unseal(keyring, row.patient_sealed, context=PATIENT_CONTEXT))
    except (CryptoError, ValueError) as error:
        raise Unreadable(type(error).__name__) from None
    name = patient.get("name") if isinstance(patient, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise Unreadable("no name")
    return match_key(person_index_key, name, row.birth_date, row.sex)


def announced(row: Unkeyed) -> bool:
    """Only a record catalog knows of (stored) is announced; one awaiting its content is
    announced with its key by its RecordStored."""
    return row.status == RecordStatus.stored


async def _batch(
    transactions: Transactions,
    *,
    topic: str,
    keyring: Keyring,
    person_index_key: bytes,
    after: uuid.UUID | None,
    size: int,
    report: BackfillReport,
    progress: Progress | None = None,
) -> uuid.UUID | None:
    """Keys one batch in one transaction; returns the last record_id seen (None: no more)."""
    async with transactions.begin() as session:
        repository = LinkageRepository(session)
        rows = await repository.lock_unkeyed(after, size)
        keys: list[tuple[Unkeyed, str]] = []
        for row in rows:
            try:
                keys.append((row, match_key_of(keyring, person_index_key, row)))
            except Unreadable:
                report.unreadable += 1
        await repository.set_match_keys([(row.record_id, key) for row, key in keys])
        for row, key in keys:
            if announced(row):
                event = RecordMatchKeyAssigned(record_id=row.record_id, match_key=key)
                announce(session, topic, row.record_id, event)
    report.keyed += len(keys)
    report.announced += sum(announced(row) for row, _ in keys)
    failpoints.hit("linkage.backfill.after_batch")  # tests: killed between two batches
    if progress is not None:
        await progress(len(rows))
    return rows[-1].record_id if len(rows) == size else None


async def backfill_match_keys(
    transactions: Transactions,
    *,
    topic: str,
    keyring: Keyring,
    person_index_key: bytes,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> BackfillReport:
    """Keys (and announces) every held record deposited without an RRN and without a match key,
    `batch_size` rows per transaction; then counts what is left (rows that were locked, or
    unreadable)."""
    report = BackfillReport()
    after: uuid.UUID | None = None
    while True:
        after = await _batch(
            transactions,
            topic=topic,
            keyring=keyring,
            person_index_key=person_index_key,
            after=after,
            size=batch_size,
            report=report,
            progress=progress,
        )
        if after is None:
            break
    async with transactions.begin() as session:
        report.remaining = await LinkageRepository(session).count_unkeyed()
    return report


async def count_unkeyed(transactions: Transactions) -> int:
    """Held records without an RRN or a match key: what a backfill has to do."""
    async with transactions.read() as session:
        return await LinkageRepository(session).count_unkeyed()
