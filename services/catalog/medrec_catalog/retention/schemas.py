"""What operators send and get back about retention."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from medrec_shared.rules.events import REVIEW_REASON_MAX


class ExtensionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=REVIEW_REASON_MAX)


class ExtensionOut(BaseModel):
    record_id: uuid.UUID
    retention_until: date
    retention_extended: bool
    extension_reason: str | None
    extended_by: str | None = None
