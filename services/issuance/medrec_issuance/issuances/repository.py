"""All SQL on issuances. Repositories add and flush in the caller's transaction; nothing here
commits."""

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select

from medrec_issuance.access import RequesterKey
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_shared.db import Repository


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
        """Copies that include the record and are stored or still to be made, locked for the
        caller to purge or fail. One query for both: a copy being rendered is locked by its
        fulfilment, and once that commits PostgreSQL re-checks the row as it now is, so a copy
        stored meanwhile is found stored (never missed as neither)."""
        rows = await self.session.execute(
            select(Issuance)
            .where(
                Issuance.record_ids.contains([record_id]),
                or_(
                    Issuance.object_key.is_not(None),
                    Issuance.status == IssuanceStatus.pending,
                ),
            )
            .with_for_update()
        )
        return rows.scalars().all()
