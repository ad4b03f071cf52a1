import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from medrec_issuance.models import CopyStatus, Issuance


class IssuanceIn(BaseModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    purpose: str | None = Field(default=None, max_length=200)


class IssuanceOut(BaseModel):
    issuance_id: uuid.UUID
    status: CopyStatus = Field(
        description="pending (also while it renders), ready, expired (a ready copy from its "
        "expires_at on: the copy expires at that instant), failed or purged."
    )
    failure_reason: str | None = Field(
        default=None,
        description="Why a failed copy could not be produced, or why a purged one was destroyed, "
        "in words for the citizen (for instance a record beyond what one copy holds); nothing "
        "about the records' content.",
    )
    issuance_number: str
    verification_code: str
    record_count: int
    pages: int | None
    sha256: str | None
    created_at: datetime
    expires_at: datetime | None


def issuance_out(issuance: Issuance, now: datetime) -> IssuanceOut:
    """The issuance as its requester reads it at `now` (expiry is decided here, by issuance)."""
    return IssuanceOut(
        issuance_id=issuance.issuance_id,
        status=issuance.status_at(now),
        failure_reason=issuance.failure_reason,
        issuance_number=issuance.issuance_number,
        verification_code=issuance.verification_code,
        record_count=len(issuance.record_ids),
        pages=issuance.pages,
        sha256=issuance.sha256,
        created_at=issuance.created_at,
        expires_at=issuance.expires_at,
    )
