"""What catalog answers about who accessed a person's records."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class AccessLogOut(BaseModel):
    event_id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str
    acting_for: str | None
    action: str
    resource_type: str
    resource_id: str
    decision: str
    reason: str | None
