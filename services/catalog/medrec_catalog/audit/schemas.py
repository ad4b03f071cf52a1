"""The audit trail as the auditor reads it: who did what, to which resource, and why. Whose data
it was is searched by (`subject`) and never answered."""

import uuid
from datetime import datetime

from pydantic import BaseModel

from medrec_catalog.models import StaffAuditEntry


class AuditEntryOut(BaseModel):
    event_id: uuid.UUID
    occurred_at: datetime
    actor: str
    actor_kind: str
    organisation: str
    roles: list[str]
    act: str
    resource_type: str
    resource_id: str
    reason: str | None


def audit_out(entry: StaffAuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)
