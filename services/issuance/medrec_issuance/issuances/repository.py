"""All SQL on issuances. Repositories add and flush in the caller's transaction; nothing here
commits."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select

from medrec_issuance.access import RequesterKey
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_shared.platform.db import Repository

TO_MAKE = (IssuanceStatus.pending, IssuanceStatus.rendering)


class IssuanceRepository(Repository):
    async def add(self, issuance: Issuance) -> None:
        self.session.add(issuance)
        await self.session.flush()

    async def get(self, issuance_id: uuid.UUID, *, for_update: bool = False) -> Issuance | None:
        return await self.session.get(Issuance, issuance_id, with_for_update=for_update)

    async def list_of(
        self, requester: RequesterKey, limit: int, after: uuid.UUID | None
    ) -> Sequence[Issuance]:
        """The requester's issuances (see `access.may_see_issuance`), in id order from `after`."""
        query = select(Issuance).where(
            Issuance.requester_subject == requester.subject,
            Issuance.requester_actor.is_(None)
            if requester.actor is None
            else Issuance.requester_actor == requester.actor,
        )
        if after:
            query = query.where(Issuance.issuance_id > after)
        rows = await self.session.execute(query.order_by(Issuance.issuance_id).limit(limit))
        return rows.scalars().all()

    async def holding(self, record_id: uuid.UUID) -> Sequence[Issuance]:
        """Copies that include the record and are stored or still to be made (pending, or being
        rendered under a worker's claim), locked for the caller to purge or fail. One query for
        all: a copy's outcome is recorded with the row locked, and once that commits PostgreSQL
        re-checks the row as it now is, so a copy stored meanwhile is found stored (never
        missed as neither); a copy failed here while it renders has its outcome dropped
        (`issuances.rendering`)."""
        rows = await self.session.execute(
            select(Issuance)
            .where(
                Issuance.record_ids.contains([record_id]),
                or_(Issuance.object_key.is_not(None), Issuance.status.in_(TO_MAKE)),
            )
            .with_for_update()
        )
        return rows.scalars().all()

    async def next_to_render(self, now: datetime) -> Issuance | None:
        """The oldest copy due to be rendered at `now`, locked: pending (and not put off after a
        failed try), or rendering under a claim whose lease has ended (its worker died, or
        overran). Copies another worker is claiming right now are skipped, not waited for."""
        return await self.scalar(
            select(Issuance)
            .where(
                Issuance.status.in_(TO_MAKE),
                or_(Issuance.render_lease_until.is_(None), Issuance.render_lease_until <= now),
            )
            .order_by(Issuance.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def waiting(self) -> int:
        """Copies asked for and not made yet (neither ready nor failed): the partial index on
        the status counts them."""
        return int(await self.scalar(select(func.count()).where(Issuance.status.in_(TO_MAKE))))
