"""All SQL on the audit trail."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from medrec_catalog.models import StaffAuditEntry
from medrec_shared.platform.db import Repository


@dataclass(frozen=True)
class AuditQuery:
    """What the auditor searches by; each given one narrows the trail."""

    actor: str | None = None
    act: str | None = None
    resource_id: str | None = None
    subject: str | None = None  # the person key whose data it was
    since: datetime | None = None
    until: datetime | None = None


class StaffAuditRepository(Repository):
    async def add(self, entry: StaffAuditEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def search(
        self, wanted: AuditQuery, limit: int, before: uuid.UUID | None
    ) -> Sequence[StaffAuditEntry]:
        """Newest first (event ids are UUIDv7: id order is time order), `limit` of them from
        those older than `before`."""
        query = select(StaffAuditEntry)
        if wanted.actor is not None:
            query = query.where(StaffAuditEntry.actor == wanted.actor)
        if wanted.act is not None:
            query = query.where(StaffAuditEntry.act == wanted.act)
        if wanted.resource_id is not None:
            query = query.where(StaffAuditEntry.resource_id == wanted.resource_id)
        if wanted.subject is not None:
            query = query.where(StaffAuditEntry.subject_person_key == wanted.subject)
        if wanted.since is not None:
            query = query.where(StaffAuditEntry.occurred_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(StaffAuditEntry.occurred_at < wanted.until)
        if before is not None:
            query = query.where(StaffAuditEntry.event_id < before)
        rows = await self.session.execute(
            query.order_by(StaffAuditEntry.event_id.desc()).limit(limit)
        )
        return rows.scalars().all()
