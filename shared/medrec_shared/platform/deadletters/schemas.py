"""Parked events as operators read them: where, what, why; never the payload."""

import uuid
from datetime import datetime

from pydantic import BaseModel

from medrec_shared.platform.deadletters.table import DeadLetterStatus


class DeadLetterOut(BaseModel):
    id: int
    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: uuid.UUID | None
    event_type: str | None
    producer: str | None
    attempts: int
    error_type: str
    error: str
    status: DeadLetterStatus
    parked_at: datetime
    retry_requested_at: datetime | None
    retried_at: datetime | None
