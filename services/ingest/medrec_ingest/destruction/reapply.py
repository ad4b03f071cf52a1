"""Destructions re-applied after a database restore (ledger.py): every destruction logged in the
object store from the restore point's day on is made true again.

Per logged entry, in a transaction of its own: a record row the restore brought back is locked
and destroyed again (its content object deleted, its row and wrapped data key with it), the
database's log entry is written back if the restore lost it, and RecordDestroyed is announced
again, so that catalog and issuance, restored too or not, take the record out of every view and
purge any copy holding it (their handlers do nothing for a record they no longer hold). Running
it twice destroys nothing twice: a second run finds no row and announces what is true already."""

from dataclasses import dataclass
from datetime import date

from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.destruction.service import Destructions, announce_destroyed, delete_content


@dataclass
class ReapplyReport:
    logged: int = 0  # entries read from the object store's log
    destroyed_again: int = 0  # records the restore had brought back
    relogged: int = 0  # database log entries the restore had lost


async def reapply_destructions(
    destructions: Destructions, *, since: date, today: date
) -> ReapplyReport:
    transactions, vault, ledger = destructions.transactions, destructions.vault, destructions.ledger
    report = ReapplyReport()
    async for key in ledger.since(since, today):
        logged = await ledger.read(key)
        async with transactions.begin() as session:
            repository = DestructionRepository(session)
            record = await repository.lock_record(logged.record_id)
            person_key = None
            if record is not None:
                person_key = record.person_key
                await delete_content(vault, record)
                await repository.delete(record)
                report.destroyed_again += 1
            if not await repository.logged(logged.record_id):
                repository.log(logged.as_row())
                report.relogged += 1
            announce_destroyed(
                session,
                destructions.settings,
                logged.record_id,
                logged.reason,
                person_key=person_key,
            )
        report.logged += 1
    return report
