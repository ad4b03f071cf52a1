"""All SQL of the retention schedule."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from medrec_catalog.models import CatalogRecord, RecordStatus
from medrec_shared.platform.db import Repository


class RetentionRepository(Repository):
    async def claim_due(
        self, held: RecordStatus, today: date, limit: int
    ) -> Sequence[CatalogRecord]:
        """Records in status `held` past their period, locked so that concurrent sweeps never
        emit one twice."""
        rows = await self.session.execute(
            select(CatalogRecord)
            .where(CatalogRecord.status == held, CatalogRecord.retention_until < today)
            .order_by(CatalogRecord.retention_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return rows.scalars().all()

    async def for_update(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return await self.session.get(CatalogRecord, record_id, with_for_update=True)
