"""All SQL on the access history."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from medrec_catalog.models import AccessLogEntry
from medrec_shared.platform.db import Repository


class AccessLogRepository(Repository):
    async def add(self, entry: AccessLogEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def for_subject(
        self, person_key: str, limit: int, before: uuid.UUID | None, *, guardian: str | None
    ) -> Sequence[AccessLogEntry]:
        """The person's entries; with `guardian`, only those that guardian did acting for them."""
        query = select(AccessLogEntry).where(AccessLogEntry.subject_person_key == person_key)
        if guardian is not None:
            query = query.where(
                AccessLogEntry.actor_type == "guardian", AccessLogEntry.actor_id == guardian
            )
        if before:
            query = query.where(AccessLogEntry.event_id < before)
        rows = await self.session.execute(
            query.order_by(AccessLogEntry.event_id.desc()).limit(limit)
        )
        return rows.scalars().all()
