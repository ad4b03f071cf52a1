"""Destruction (DOMAIN.md, "Record retention"): the content object and its data key go
(crypto-shredding) and the record row with them; a log entry without personal data remains, in
the database and in the object store (ledger.py: what a database restore cannot bring back).

Ingest destroys a record when catalog's sweep finds it past its period (RecordRetentionDue,
handlers.py), and when its institution was released and did not take it back within the grace
period. Each run is one transaction per record set: the object is deleted before the commit, so
a crash between the two leaves the row, and the next run deletes the (already absent) object
again and commits.

`Destructions.destroy` works in the caller's session and never commits; `destroy_unreclaimed`
opens its own transactions, one per set of records.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.destruction.ledger import DestructionLedger
from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.models import Destruction, Record
from medrec_ingest.records.rules import event_key
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform import failpoints
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.events import RecordDestroyed

RETENTION_EXPIRED = "retention_expired"
RELEASE_NOT_RECLAIMED = "release_not_reclaimed"
SWEEP_BATCH = 100


def log_entry(record: Record, reason: str, now: datetime) -> Destruction:
    """What is left of a destroyed record: nothing that identifies a person."""
    return Destruction(
        record_id=record.record_id,
        institution_code=record.institution_code,
        kind=record.kind,
        specialty=record.specialty,
        service_start=record.service_start,
        service_end=record.service_end,
        reason=reason,
        destroyed_at=now,
    )


@dataclass(kw_only=True)
class Destructions:
    """Destroys records: one in the caller's transaction (`destroy`), or the released records
    past their grace period, in transactions of its own (`destroy_unreclaimed`)."""

    transactions: Transactions
    settings: IngestSettings
    vault: Vault
    clock: Clock
    ledger: DestructionLedger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = DestructionLedger(self.vault.store, self.vault.bucket)

    async def destroy(
        self, session: AsyncSession, record: Record, reason: str, now: datetime
    ) -> None:
        await delete_content(self.vault, record)
        failpoints.hit("ingest.destroy.after_object_delete", record.transfer_id)
        entry = log_entry(record, reason, now)
        # Outside the database first: a crash before the commit leaves an entry whose
        # destruction the next run completes; the other order could leave a committed one a
        # restore undoes.
        await self.ledger.add(entry)
        destructions = DestructionRepository(session)
        destructions.log(entry)
        announce_destroyed(
            session, self.settings, record.record_id, reason, person_key=record.person_key
        )
        await destructions.delete(record)

    async def destroy_unreclaimed(self, now: datetime) -> int:
        """Destroys the records of released transfers whose grace period has ended, a set of
        records per transaction."""
        destroyed = 0
        while True:
            async with self.transactions.begin() as session:
                batch = await DestructionRepository(session).unreclaimed(now, SWEEP_BATCH)
                for record in batch:
                    await self.destroy(session, record, RELEASE_NOT_RECLAIMED, now)
            if not batch:
                return destroyed
            destroyed += len(batch)


async def delete_content(vault: Vault, record: Record) -> None:
    # Content in a segment is shredded with the row's data key; the segment goes once nothing
    # points into it (segments/service.py).
    if record.object_key is not None and record.span is None:
        await vault.delete(record.object_key)  # absent already after a crash: still fine


def announce_destroyed(
    session: AsyncSession,
    settings: IngestSettings,
    record_id: uuid.UUID,
    reason: str,
    *,
    person_key: str | None,
) -> None:
    """RecordDestroyed, keyed as the record's other events are."""
    event = RecordDestroyed(record_id=record_id, reason=reason)
    announce(session, settings.topic_record, event_key(record_id, person_key), event)
