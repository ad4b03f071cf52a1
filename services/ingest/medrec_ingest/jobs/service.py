"""Starting an admin job (one short transaction: its row and who started it, StaffActed) and
running it in this process, its progress written after every batch (see the package's
docstring)."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from medrec_ingest.jobs.repository import JobRepository
from medrec_ingest.jobs.schemas import JobOut
from medrec_ingest.keys.rotation import count_not_under, rewrap_records
from medrec_ingest.linkage.backfill import backfill_match_keys, count_unkeyed
from medrec_ingest.models import AdminJob, JobKind, JobStatus
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict
from medrec_shared.rules.audit import staff_acted

log = get_logger(__name__)

# A running job writes its progress after every batch (a few seconds at most); one silent for
# this long lost its process, and reads back as interrupted.
JOB_STALE = timedelta(seconds=120)
ACTS: dict[JobKind, str] = {
    JobKind.key_rewrap: "key_job.start",
    JobKind.linkage_backfill: "linkage_backfill.start",
}


class JobRunning(Conflict):
    type, title = "job-running", "A job of this kind is running already"


@dataclass
class Jobs:
    transactions: Transactions
    settings: IngestSettings
    keyring: Keyring
    clock: Clock
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def out(self, job: AdminJob) -> JobOut:
        status = job.status
        if status == JobStatus.running and self.clock.now() - job.beat_at > JOB_STALE:
            status = JobStatus.interrupted
        return JobOut(
            job_id=job.job_id,
            kind=job.kind,
            status=status,
            done=min(job.done, job.total),
            total=job.total,
            result=job.result,
            started_by=job.started_by,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )

    async def start(self, kind: JobKind, principal: Principal, batch_size: int) -> AdminJob:
        """Records the job and who started it, then runs it in this process. A job of the kind
        still running elsewhere: 409 naming it; one whose process stopped is marked interrupted
        and this one takes over."""
        # What there is to do, counted before the job's own transaction (which stays short).
        if kind is JobKind.key_rewrap:
            total = await count_not_under(self.transactions, self.keyring.active_kek_id)
        else:
            total = await count_unkeyed(self.transactions)
        now = self.clock.now()
        try:
            job = await self._record(kind, principal, total, now)
        except IntegrityError:  # another replica's start won the race for the running slot
            raise JobRunning("Wait for it to end (or to be reported interrupted).") from None

        task = asyncio.create_task(self._run(job.job_id, kind, batch_size))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _record(
        self, kind: JobKind, principal: Principal, total: int, now: datetime
    ) -> AdminJob:
        """The job's row and who started it (StaffActed), in one short transaction."""
        async with self.transactions.begin() as session:
            jobs = JobRepository(session)
            running = await jobs.running(kind)
            if running is not None:
                if now - running.beat_at <= JOB_STALE:
                    raise JobRunning(
                        "Wait for it to end (or to be reported interrupted).",
                        extra={"job_id": str(running.job_id)},
                    )
                running.status = JobStatus.interrupted
                running.finished_at = now
                await session.flush()  # out of the running index before the new row
            job = AdminJob(
                job_id=uuid.uuid4(),
                kind=kind,
                status=JobStatus.running,
                total=total,
                done=0,
                result=None,
                started_by=principal.accountable[:64],
                started_at=now,
                beat_at=now,
                finished_at=None,
            )
            jobs.add(job)
            event = staff_acted(principal, ACTS[kind], "admin_job", str(job.job_id))
            announce(session, self.settings.topic_audit, event.actor, event)
        return job

    async def get(self, job_id: uuid.UUID) -> AdminJob | None:
        async with self.transactions.read() as session:
            return await JobRepository(session).get(job_id)

    async def recent(self, kind: JobKind, limit: int) -> list[AdminJob]:
        async with self.transactions.read() as session:
            return await JobRepository(session).recent(kind, limit)

    async def _advance(self, job_id: uuid.UUID, rows: int) -> None:
        async with self.transactions.begin() as session:
            await JobRepository(session).advance(job_id, rows, self.clock.now())

    async def _run(self, job_id: uuid.UUID, kind: JobKind, batch_size: int) -> None:
        async def progress(rows: int) -> None:
            await self._advance(job_id, rows)

        try:
            result: dict[str, int | str]
            if kind is JobKind.key_rewrap:
                rewrapped = await rewrap_records(
                    self.transactions, self.keyring, batch_size=batch_size, progress=progress
                )
                complete = rewrapped.complete
                result = {
                    "active": rewrapped.active,
                    "data_keys": rewrapped.data_keys,
                    "patient_fields": rewrapped.patient_fields,
                    "unreadable": rewrapped.unreadable,
                    "remaining": rewrapped.remaining,
                }
            else:
                keyed = await backfill_match_keys(
                    self.transactions,
                    topic=self.settings.topic_record,
                    keyring=self.keyring,
                    person_index_key=self.settings.person_index_key.get_secret_value().encode(),
                    batch_size=batch_size,
                    progress=progress,
                )
                complete = keyed.complete
                result = {
                    "keyed": keyed.keyed,
                    "announced": keyed.announced,
                    "unreadable": keyed.unreadable,
                    "remaining": keyed.remaining,
                }
            status = JobStatus.completed if complete else JobStatus.incomplete
        except asyncio.CancelledError:
            raise  # the process is stopping: the job reads back as interrupted
        except Exception as error:
            log.exception("admin_job_failed", job_id=str(job_id), kind=kind.value)
            status, complete, result = JobStatus.failed, False, {"error": type(error).__name__}
        async with self.transactions.begin() as session:
            await JobRepository(session).finish(
                job_id, status, result, self.clock.now(), all_done=complete
            )
        log.info("admin_job_ended", job_id=str(job_id), kind=kind.value, status=status.value)

    async def aclose(self) -> None:
        """Stops the jobs this process runs (a shutdown): they read back as interrupted."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
