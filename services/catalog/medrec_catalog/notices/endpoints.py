"""A citizen's notices (catalog serves them: API.md leaves it to the service's choice): the
알림함, newest first with the unread count, marking one read, and the choices of what is also
sent. A guardian acting for a child reads and sets their own (`service.reader_key`)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from medrec_catalog.deps import Catalog, Citizen, DbSession
from medrec_catalog.models import Notice
from medrec_catalog.notices import service
from medrec_catalog.notices.schemas import NoticeOut, NoticePage, NoticePreferences
from medrec_shared.platform.pages import page_of
from medrec_shared.rules.notices import NOTICE_LABELS, NoticeKind, notice_text

router = APIRouter(tags=["me"])
Limit = Annotated[int, Query(ge=1, le=200)]


def _out(notice: Notice) -> NoticeOut:
    return NoticeOut(
        notice_id=notice.notice_id,
        kind=notice.kind,
        label=NOTICE_LABELS.get(NoticeKind(notice.kind), notice.kind)
        if notice.kind in NoticeKind.__members__
        else notice.kind,
        text=notice_text(notice.kind, notice.params),
        params=notice.params,
        created_at=notice.created_at,
        read_at=notice.read_at,
    )


@router.get("/v1/me/notices", response_model=NoticePage)
async def my_notices(
    session: DbSession, principal: Citizen, limit: Limit = 20, cursor: uuid.UUID | None = None
) -> NoticePage:
    """The caller's 알림함, newest first, and how many are unread."""
    rows, unread = await service.notices_of(session, principal, limit + 1, cursor)
    page = page_of(rows, limit, _out, lambda notice: str(notice.notice_id))
    return NoticePage(items=page.items, next_cursor=page.next_cursor, unread=unread)


@router.post("/v1/me/notices/{notice_id}/read", status_code=204)
async def read_notice(
    notice_id: uuid.UUID, session: DbSession, principal: Citizen, catalog: Catalog
) -> Response:
    """Marks one of the caller's notices read (again: no change); 404 for anyone else's."""
    await service.mark_read(session, principal, notice_id, catalog.clock.now())
    return Response(status_code=204)


@router.get("/v1/me/notice-preferences", response_model=NoticePreferences)
async def my_notice_preferences(session: DbSession, principal: Citizen) -> NoticePreferences:
    return NoticePreferences(kinds=await service.choices_of(session, principal))


@router.put("/v1/me/notice-preferences", response_model=NoticePreferences)
async def set_notice_preferences(
    body: NoticePreferences, session: DbSession, principal: Citizen, catalog: Catalog
) -> NoticePreferences:
    """The kinds given take the choice given; the others keep theirs."""
    kinds = await service.choose(session, principal, body.kinds, catalog.clock.now())
    return NoticePreferences(kinds=kinds)
