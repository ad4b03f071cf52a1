"""알림함 and 알림 설정: the signed-in person's own notices (catalog keeps them; a guardian
acting for a child sees their own, never the child's), newest first with the unread ones marked,
each marked read with a plain form; and a checkbox per kind saying whether it is also sent by
문자 or 알림톡 (every notice stays in 알림함 either way). Plain forms with the session's CSRF
token: the pages work without JavaScript."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from medrec_portal.web import PageDep
from medrec_shared.rules.notices import NOTICE_LABELS, NoticeKind

router = APIRouter()
PAGE_SIZE = 20


@dataclass
class NoticeChoicesForm:
    """알림 설정's fields: one checkbox per kind, named by the kind; unchecked is off."""

    kinds: dict[str, bool]

    @classmethod
    async def posted(cls, request: Request) -> "NoticeChoicesForm":
        data = await request.form(max_files=0, max_fields=len(NoticeKind) + 2)
        return cls(kinds={kind.value: data.get(kind.value) == "1" for kind in NoticeKind})


@router.get("/notices", response_class=HTMLResponse)
async def notices(page: PageDep, cursor: Annotated[UUID | None, Query()] = None) -> HTMLResponse:
    token = page.own_token()
    found = await page.catalog.notices(token, PAGE_SIZE, str(cursor) if cursor else None)
    return page.render(
        "notices.html", nav="notices", items=found.items, next_cursor=found.next_cursor,
        unread=found.unread,
    )  # fmt: skip


@router.post("/notices/{notice_id}/read")
async def read_notice(page: PageDep, notice_id: UUID) -> RedirectResponse:
    await page.catalog.read_notice(page.own_token(), notice_id)
    return RedirectResponse(f"/notices#notice-{notice_id}", status_code=303)


@router.get("/notices/settings", response_class=HTMLResponse)
async def notice_settings(page: PageDep, saved: bool = False) -> HTMLResponse:
    chosen = await page.catalog.notice_preferences(page.own_token())
    return _settings(page, chosen.kinds, saved=saved)


@router.post("/notices/settings", response_class=HTMLResponse)
async def save_notice_settings(page: PageDep, request: Request) -> RedirectResponse:
    form = await NoticeChoicesForm.posted(request)
    await page.catalog.choose_notices(page.own_token(), form.kinds)
    return RedirectResponse("/notices/settings?saved=true", status_code=303)


def _settings(page: PageDep, kinds: dict[str, bool], *, saved: bool) -> HTMLResponse:
    choices = [
        (kind.value, NOTICE_LABELS[kind], kinds.get(kind.value, True)) for kind in NoticeKind
    ]
    return page.render("notice_settings.html", nav="notices", choices=choices, saved=saved)
