"""파기: the destruction log (what was destroyed and why, never whose), and a record's retention
extension (platform staff, `retention:manage`): once, by one more period of its kind, with the
사유 that asks it, kept with the record and, with the person, in the audit trail."""

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.clients.models import Destructions, RetentionExtended
from medrec_console.forms import DestructionFilterForm, RetentionExtensionForm
from medrec_console.web import Page, PageDep
from medrec_shared.rules import staff
from medrec_shared.rules.events import REVIEW_REASON_MAX

router = APIRouter()
PAGE_SIZE = 50


async def _render(
    page: Page, token: str, *, status_code: int = 200, cursor: str | None = None,
    extension: RetentionExtensionForm | None = None, extended: RetentionExtended | None = None,
    problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    filters = DestructionFilterForm.read(page.request.query_params)
    found: Destructions | None = None
    if filters.valid():
        found = await page.clients.destructions.destructions(
            token, institution=filters.institution or None, limit=PAGE_SIZE, cursor=cursor
        )
    elif filters.errors and status_code == 200:
        status_code, problem = 422, messages.PROBLEMS["validation"]
    more = {"institution": filters.institution, "cursor": found.next_cursor if found else ""}
    person = page.staff
    return page.render(
        "destructions.html", status_code=status_code, nav="destructions", filters=filters,
        destructions=found, more_query=urlencode({k: v for k, v in more.items() if v}),
        can_read=True, can_extend=bool(person and staff.RETENTION_MANAGE in person.scopes),
        extension=extension or RetentionExtensionForm(), extended=extended, problem=problem,
        notice=None, kinds=messages.KINDS, specialties=messages.SPECIALTIES,
        reasons=messages.DESTRUCTION_REASONS, reason_max=REVIEW_REASON_MAX,
    )  # fmt: skip


@router.get("/destructions", response_class=HTMLResponse)
async def destructions(
    page: PageDep, cursor: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    token = await page.require(staff.DESTRUCTIONS_READ, nav="destructions")
    return await _render(page, token, cursor=cursor)


@router.post("/destructions/extension", response_class=HTMLResponse)
async def extend(page: PageDep) -> Response:
    token = await page.require(staff.RETENTION_MANAGE, nav="destructions")
    form = RetentionExtensionForm.read(await page.form())
    if not form.valid():
        return await _render(page, token, status_code=422, extension=form,
                             problem=messages.PROBLEMS["validation"])  # fmt: skip
    try:
        extended = await page.clients.retention.extend(
            token, uuid.UUID(form.record_id), form.reason
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        sentence = messages.OPERATIONS_PROBLEMS.get(problem.kind) or (
            messages.OPERATIONS_PROBLEMS["already-extended"] if problem.status == 409
            else "그 ID의 기록이 없습니다. 기록 ID를 확인해 주세요." if problem.status == 404
            else messages.sentence(problem)
        )  # fmt: skip
        return await _render(page, token, status_code=problem.status, extension=form,
                             problem=sentence)  # fmt: skip
    query = urlencode({"extended": str(extended.record_id), "until": str(extended.retention_until)})
    return RedirectResponse(f"/destructions/extended?{query}", status_code=303)


@router.get("/destructions/extended", response_class=HTMLResponse)
async def extended(
    page: PageDep,
    extended: Annotated[uuid.UUID, Query()],
    until: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")],
) -> HTMLResponse:
    """After an extension (POST, then redirect, so a reload asks nothing twice): the log, and
    what was extended until when."""
    token = await page.require(staff.DESTRUCTIONS_READ, nav="destructions")
    done = RetentionExtended(record_id=extended, retention_until=until, retention_extended=True)
    return await _render(page, token, extended=done)
