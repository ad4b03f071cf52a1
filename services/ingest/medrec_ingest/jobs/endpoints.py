"""Admin jobs over the API: start a key re-wrap or a linkage backfill (202 with its id), follow
its progress. Key jobs need `keys:manage`; the backfill needs `sweeps:run`: it is maintenance
over held records like the release and segment sweeps (it decides no link: it gives records the
match key catalog proposes them by, for reviewers to decide), and a machine account may run it."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query

from medrec_ingest.deps import JobsDep, KeyManager, SweepRunner
from medrec_ingest.jobs.schemas import JobList, JobOut, JobStart, JobStarted
from medrec_ingest.jobs.service import JobRunning, Jobs
from medrec_ingest.models import AdminJob, JobKind
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.problems import NotFound

router = APIRouter(tags=["admin jobs (operators)"], prefix="/v1/admin")


def _started(job: AdminJob) -> JobStarted:
    return JobStarted(job_id=job.job_id, kind=job.kind, status=job.status, total=job.total)


async def _one(jobs: Jobs, job_id: uuid.UUID, kind: JobKind) -> JobOut:
    job = await jobs.get(job_id)
    if job is None or job.kind != kind:
        raise NotFound("No such job.")
    return jobs.out(job)


async def _list(jobs: Jobs, kind: JobKind, limit: int) -> JobList:
    return JobList(items=[jobs.out(job) for job in await jobs.recent(kind, limit)])


Limit = Annotated[int, Query(ge=1, le=100)]


@router.post(
    "/key-jobs", status_code=202, response_model=JobStarted, responses=problem_responses(JobRunning)
)
async def start_key_job(
    jobs: JobsDep, principal: KeyManager, start: Annotated[JobStart | None, Body()] = None
) -> JobStarted:
    """Re-wraps every record's data key and sealed patient field to the active KEK (after a
    new key is added and activated in the keyring file: docs/operations.md). Runs in the
    service; follow it at `GET /v1/admin/key-jobs/{job_id}`."""
    job = await jobs.start(JobKind.key_rewrap, principal, (start or JobStart()).batch_size)
    return _started(job)


@router.get("/key-jobs", response_model=JobList)
async def list_key_jobs(jobs: JobsDep, _: KeyManager, limit: Limit = 20) -> JobList:
    """The latest key jobs, newest first."""
    return await _list(jobs, JobKind.key_rewrap, limit)


@router.get("/key-jobs/{job_id}", response_model=JobOut)
async def read_key_job(jobs: JobsDep, _: KeyManager, job_id: uuid.UUID) -> JobOut:
    """One key job: status, rows done of the total, and its counts once it ended."""
    return await _one(jobs, job_id, JobKind.key_rewrap)


@router.post(
    "/linkage-jobs",
    status_code=202,
    response_model=JobStarted,
    responses=problem_responses(JobRunning),
)
async def start_linkage_job(
    jobs: JobsDep, principal: SweepRunner, start: Annotated[JobStart | None, Body()] = None
) -> JobStarted:
    """Gives every held record deposited without an RRN, and without a match key, its match
    key and announces it to catalog (the linkage backfill). Runs in the service; follow it at
    `GET /v1/admin/linkage-jobs/{job_id}`."""
    job = await jobs.start(JobKind.linkage_backfill, principal, (start or JobStart()).batch_size)
    return _started(job)


@router.get("/linkage-jobs", response_model=JobList)
async def list_linkage_jobs(jobs: JobsDep, _: SweepRunner, limit: Limit = 20) -> JobList:
    """The latest linkage backfill jobs, newest first."""
    return await _list(jobs, JobKind.linkage_backfill, limit)


@router.get("/linkage-jobs/{job_id}", response_model=JobOut)
async def read_linkage_job(jobs: JobsDep, _: SweepRunner, job_id: uuid.UUID) -> JobOut:
    """One linkage backfill job: status, rows done of the total, its counts once it ended."""
    return await _one(jobs, job_id, JobKind.linkage_backfill)
