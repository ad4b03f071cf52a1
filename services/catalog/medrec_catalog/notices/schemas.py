"""The notices API's shapes: a notice says its kind, its label and its sentence, never more
than the parameters it was asked with (no clinical content)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from medrec_shared.platform.pages import Page
from medrec_shared.rules.notices import NoticeKind


class NoticeOut(BaseModel):
    notice_id: uuid.UUID
    kind: str
    label: str
    text: str
    params: dict[str, str]
    created_at: datetime
    read_at: datetime | None


class NoticePage(Page[NoticeOut]):
    unread: int = Field(description="how many of the person's notices are unread, in all")


class NoticePreferences(BaseModel):
    """Per kind: also send it by SMS or 알림톡 (true), or keep it in 알림함 only (false). Every
    notice is kept in 알림함 either way."""

    kinds: dict[NoticeKind, bool]
