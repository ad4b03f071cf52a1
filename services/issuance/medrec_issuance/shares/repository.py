"""All SQL on shares. Nothing here commits."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from medrec_issuance.models import Share
from medrec_shared.platform.db import Repository


class ShareRepository(Repository):
    async def add(self, share: Share) -> None:
        self.session.add(share)
        await self.session.flush()

    async def of_issuance(self, issuance_id: uuid.UUID) -> Sequence[Share]:
        rows = await self.session.execute(
            select(Share)
            .where(Share.issuance_id == issuance_id)
            .order_by(Share.created_at.desc(), Share.share_id)
        )
        return rows.scalars().all()

    async def get(self, issuance_id: uuid.UUID, share_id: uuid.UUID) -> Share | None:
        return await self.scalar(
            select(Share)
            .where(Share.share_id == share_id, Share.issuance_id == issuance_id)
            .with_for_update()
        )

    async def by_token(self, token_digest: str, *, for_update: bool = False) -> Share | None:
        query = select(Share).where(Share.token_digest == token_digest)
        if for_update:
            # Read again under the lock (a share already loaded would keep its old values).
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.scalar(query)
