"""Retention (Enforcement Rule Art. 15): records are kept exactly as long as their kind requires,
extended once at most by an operator, then destroyed by ingest when catalog's sweep says so.

Only a record that is shown (`records.service`) is extended or swept: one already due, withdrawn
or destroyed is not held any more. `Retention.sweep` and `extend_retention` work in the caller's
transaction and never commit; `Retention.scheduled_sweep` (the worker's) opens its own. The same
sweep tells each person who has signed in, once per record, that a record of theirs ends within
90 days."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.models import CatalogRecord, RecordStatus
from medrec_catalog.notices.service import ask_retention_ending
from medrec_catalog.records.service import SHOWN, shown
from medrec_catalog.retention.repository import RetentionRepository
from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform.clock import Clock, korean_date
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict
from medrec_shared.rules.events import RecordRetentionDue
from medrec_shared.rules.retention import RETENTION_YEARS, add_years

SWEEP_BATCH = 500


class AlreadyExtended(Conflict):
    type, title = "already-extended", "A retention period may be extended only once"


def extend(record: CatalogRecord, reason: str, operator: str) -> None:
    """The one extension: by one more period of the record's kind. A second is a conflict."""
    if record.retention_extended:
        raise AlreadyExtended(f"It was extended already, until {record.retention_until}.")
    record.retention_until = add_years(record.retention_until, RETENTION_YEARS[record.kind])
    record.retention_extended, record.extension_reason = True, reason
    record.extended_by = operator


async def extend_retention(
    session: AsyncSession, record_id: uuid.UUID, *, reason: str, operator: str
) -> CatalogRecord:
    """Extends a held record's period once (the row locked while it is decided)."""
    record = shown(await RetentionRepository(session).for_update(record_id), "No such record held.")
    extend(record, reason, operator)
    return record


@dataclass(kw_only=True)
class Retention:
    """The sweep: marks every shown record past its period as due and asks ingest to destroy it,
    as of today in Korea by the clock port."""

    transactions: Transactions  # with the outbox: a sweep announces
    settings: CatalogSettings
    clock: Clock

    def today(self) -> date:
        return korean_date(self.clock.now())

    async def sweep(self, session: AsyncSession, today: date) -> int:
        """Due records leave citizens' views at once; a record that arrived already expired goes
        in the next sweep."""
        found = 0
        retention = RetentionRepository(session)
        while batch := await retention.claim_due(SHOWN, today, SWEEP_BATCH):
            for record in batch:
                record.status = RecordStatus.due
                announce(
                    session,
                    self.settings.topic_record,
                    record.person_key or record.record_id,
                    RecordRetentionDue(
                        record_id=record.record_id, retention_until=record.retention_until
                    ),
                )
            await session.flush()
            found += len(batch)
        return found

    async def notice_ending(self, session: AsyncSession) -> int:
        """retention_ending notices for records whose period ends within RETENTION_NOTICE_DAYS,
        once per record however often it runs (notices.service)."""
        return await ask_retention_ending(session, self.clock.now())

    async def scheduled_sweep(self) -> int:
        """The worker's sweep and its notices: one transaction."""
        async with self.transactions.begin() as session:
            due = await self.sweep(session, self.today())
            await self.notice_ending(session)
            return due
