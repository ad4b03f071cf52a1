import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from medrec_issuance.models import Share

MAX_DAYS = 30

Recipient = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ShareStatus(StrEnum):
    active = "active"
    revoked = "revoked"
    expired = "expired"


class ShareIn(BaseModel):
    recipient: Recipient = Field(
        description="Whom the citizen gives the link to, as they name them (e.g. an insurer): "
        "shown in the citizen's access history at each download."
    )
    expires_in_days: int = Field(default=7, ge=1, le=MAX_DAYS)


class ShareCreated(BaseModel):
    share_id: uuid.UUID
    url: str = Field(description="The portal's /share/<token> page: the token is in no other "
                     "answer, and only its keyed digest is kept.")  # fmt: skip
    access_code: str = Field(description="Six digits, answered this once (only a keyed digest "
                             "is kept): the recipient types it on the share page.")  # fmt: skip
    expires_at: datetime
    recipient: str


class ShareOut(BaseModel):
    share_id: uuid.UUID
    recipient: str
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    downloads: int
    last_opened_at: datetime | None
    status: ShareStatus


class SharesOut(BaseModel):
    items: list[ShareOut]


class ShareDocumentIn(BaseModel):
    # Not held to six digits here: whatever is typed is a code, right or wrong (and counted).
    access_code: str = Field(min_length=1, max_length=32)


def status_at(share: Share, now: datetime) -> ShareStatus:
    """Revoked wins over expired; a share expires AT its `expires_at` instant, as copies do."""
    if share.revoked_at is not None:
        return ShareStatus.revoked
    if now >= share.expires_at:
        return ShareStatus.expired
    return ShareStatus.active


def share_out(share: Share, now: datetime) -> ShareOut:
    return ShareOut(
        share_id=share.share_id,
        recipient=share.recipient,
        expires_at=share.expires_at,
        revoked_at=share.revoked_at,
        created_at=share.created_at,
        downloads=share.downloads,
        last_opened_at=share.last_opened_at,
        status=status_at(share, now),
    )
