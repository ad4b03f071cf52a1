"""The destruction log as operators read it."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class DestructionOut(BaseModel):
    record_id: uuid.UUID
    kind: str
    specialty: str
    institution_code: str
    service_start: date
    service_end: date
    reason: str
    destroyed_at: datetime
