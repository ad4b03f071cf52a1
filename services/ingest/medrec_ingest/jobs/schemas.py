"""Admin jobs as medrec-admin and the console read them: counts, never a record's data."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from medrec_ingest.models import JobKind, JobStatus


class JobStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Rows per transaction: smaller batches hold fewer row locks at a time, and show progress
    # more often.
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 500


class JobStarted(BaseModel):
    job_id: uuid.UUID
    kind: JobKind
    status: JobStatus
    total: int


class JobOut(BaseModel):
    job_id: uuid.UUID
    kind: JobKind
    status: JobStatus
    done: int  # rows gone through, of `total` (counted when the job started)
    total: int
    result: dict[str, int | str] | None  # the job's counts once it ended
    started_by: str
    started_at: datetime
    finished_at: datetime | None


class JobList(BaseModel):
    items: list[JobOut]
