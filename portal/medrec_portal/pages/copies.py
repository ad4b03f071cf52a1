"""사본 발급 and 발급 이력: a copy requested from issuance, watched until it is ready, and its PDF
passed through the portal with the session's token (the browser never holds one). A copy's
status, `expired` included, is shown as issuance answers it."""

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.background import BackgroundTask

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.web import Page, PageDep

router = APIRouter()


@router.post("/copies", response_class=HTMLResponse)
async def request_copy(page: PageDep, request: Request) -> Response:
    token = page.require_signed_in()
    form = await request.form()
    record_ids = [str(v) for v in form.getlist("record_ids") if isinstance(v, str)]
    purpose = str(form.get("purpose") or "").strip()[:200]
    if not record_ids:
        return page.render(
            "error.html", status_code=422, status=422,
            message="발급할 기록을 하나 이상 선택해 주세요.", back="/records",
        )  # fmt: skip
    created = await page.issuance.request_copy(token, record_ids, purpose)
    return RedirectResponse(f"/copies/{created.issuance_id}", status_code=303)


async def _issuance(page: Page, issuance_id: UUID) -> dict[str, Any]:
    """The copy as issuance answers it, in its JSON form (what the templates read)."""
    token = page.require_signed_in()
    return (await page.issuance.issuance(token, issuance_id)).model_dump(mode="json")


@router.get("/copies", response_class=HTMLResponse)
async def history(page: PageDep, requested: Annotated[int, Query(ge=0, le=10)] = 0) -> HTMLResponse:
    token = page.require_signed_in()
    found = await page.issuance.issuances(token, limit=100)
    # Each copy's status as issuance answers it (pending, ready, expired, failed, purged):
    # whether a copy has expired is issuance's rule, not decided again here.
    items = [i.model_dump(mode="json") for i in found]
    notices, page.data.notices = page.data.notices, []  # said once
    if notices:
        await page.save()
    return page.render(
        "copies.html", nav="copies", items=items, requested=requested, notices=notices
    )


@router.get("/copies/{issuance_id}", response_class=HTMLResponse)
async def copy_page(page: PageDep, issuance_id: UUID, revoked: str = "") -> HTMLResponse:
    return await copy_view(page, issuance_id, revoked=bool(revoked))


# Whose shares (제출) the copy's page lists: a copy that was ready (shares of an expired one
# stay listed, expired too).
WITH_SHARES = ("ready", "expired")


async def copy_view(
    page: Page, issuance_id: UUID, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The copy's page, with its shares; `context`: a share form's errors and values, or that
    one was revoked."""
    issuance = await _issuance(page, issuance_id)
    status = str(issuance.get("status"))  # issuance's answer, expiry included
    shares = []
    if status in WITH_SHARES:
        token = page.require_signed_in()
        found = await page.issuance.shares(token, issuance_id)
        shares = [s.model_dump(mode="json") for s in found]
    return page.render(
        "copy.html",
        status_code=status_code,
        nav="copies",
        issuance=issuance,
        status=status,
        failure=messages.PROBLEMS.get(str(issuance.get("failure_reason")), None),
        shares=shares,
        **context,
    )


@router.get("/copies/{issuance_id}/status")
async def copy_status(page: PageDep, issuance_id: UUID) -> JSONResponse:
    """For portal.js, which polls it while the copy is pending (same origin, the session)."""
    if page.data.subject_token is None:
        return JSONResponse({"status": "signed_out"}, status_code=401)
    issuance = await _issuance(page, issuance_id)
    return JSONResponse({"status": str(issuance.get("status"))})


_SAFE_NUMBER = re.compile(r"[^A-Za-z0-9-]")


@router.get("/copies/{issuance_id}/document")
async def document(page: PageDep, issuance_id: UUID, download: str = "") -> Response:
    token = page.require_signed_in()
    issuance = await _issuance(page, issuance_id)
    try:
        response, body = await page.issuance.document(token, issuance_id)
    except ApiProblem as problem:
        return page.render(
            "error.html", status_code=problem.status if problem.status < 500 else 502,
            status=problem.status, message=messages.sentence(problem), back="/copies",
        )  # fmt: skip
    number = _SAFE_NUMBER.sub("", str(issuance.get("issuance_number") or issuance_id))
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="medrec-{number}.pdf"'}
    if "content-length" in response.headers:
        headers["Content-Length"] = response.headers["content-length"]
    return StreamingResponse(
        body,
        media_type="application/pdf",
        headers=headers,
        background=BackgroundTask(response.aclose),
    )
