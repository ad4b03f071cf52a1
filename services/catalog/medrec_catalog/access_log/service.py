"""Whose access history a caller reads, and how much of it.

A citizen reads every entry about their own records. A guardian acting for a child reads the
child's history only as far as their own acts go (`actor_type` guardian, `actor_id` theirs): the
child's own views and downloads, and other people's acts, are the child's to read, not the
guardian's."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.access_log.repository import AccessLogRepository
from medrec_catalog.models import AccessLogEntry
from medrec_catalog.records.service import subject_key
from medrec_shared.platform.auth import Principal


async def access_log_of(
    session: AsyncSession, principal: Principal, limit: int, before: uuid.UUID | None
) -> Sequence[AccessLogEntry]:
    """The entries the principal may read, newest first, `limit` of them from `before`."""
    return await AccessLogRepository(session).for_subject(
        subject_key(principal), limit, before, guardian=principal.actor
    )
