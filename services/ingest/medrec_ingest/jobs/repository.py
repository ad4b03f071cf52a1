"""The SQL of admin jobs. Nothing here commits."""

import uuid
from datetime import datetime

from sqlalchemy import select, update

from medrec_ingest.models import AdminJob, JobKind, JobStatus
from medrec_shared.platform.db import Repository


class JobRepository(Repository):
    async def get(self, job_id: uuid.UUID) -> AdminJob | None:
        job: AdminJob | None = await self.session.get(AdminJob, job_id)
        return job

    async def running(self, kind: JobKind) -> AdminJob | None:
        """The running job of `kind`, locked until commit (a start decides about it)."""
        found: AdminJob | None = await self.scalar(
            select(AdminJob)
            .where(AdminJob.kind == kind, AdminJob.status == JobStatus.running)
            .with_for_update()
        )
        return found

    async def recent(self, kind: JobKind, limit: int) -> list[AdminJob]:
        rows = await self.session.scalars(
            select(AdminJob)
            .where(AdminJob.kind == kind)
            .order_by(AdminJob.started_at.desc())
            .limit(limit)
        )
        return list(rows)

    def add(self, job: AdminJob) -> None:
        self.session.add(job)

    async def advance(self, job_id: uuid.UUID, rows: int, now: datetime) -> None:
        """`rows` more gone through; never past the total (a second pass may see rows again)."""
        await self.session.execute(
            update(AdminJob)
            .where(AdminJob.job_id == job_id)
            .values(done=AdminJob.done + rows, beat_at=now)
        )

    async def finish(
        self,
        job_id: uuid.UUID,
        status: JobStatus,
        result: dict[str, int | str],
        now: datetime,
        *,
        all_done: bool,
    ) -> None:
        values: dict[str, object] = {
            "status": status,
            "result": result,
            "finished_at": now,
            "beat_at": now,
        }
        if all_done:
            values["done"] = AdminJob.total
        await self.session.execute(
            update(AdminJob).where(AdminJob.job_id == job_id).values(**values)
        )
