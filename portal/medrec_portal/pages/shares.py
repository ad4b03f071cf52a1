"""제출: a ready copy shared with a recipient the citizen names (an insurer), and the page that
recipient opens without signing in.

On the copy's page (`/copies/{id}`) the citizen makes a share (받는 곳, 유효 기간); the answer is a
page showing the link and the 접근 코드 this once (issuance keeps only their digests), and the
copy's page lists the shares with a 해지 button. The recipient opens `/share/<token>`, types the
code, and gets the PDF as a download. The token is a secret in a path: every portal answer
carries `Referrer-Policy: no-referrer`, and the access log (and every log line of the front door's
problem pages) names the route template, never the path."""

import re
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.pages.copies import copy_view
from medrec_portal.web import Page, PageDep

router = APIRouter()

MAX_DAYS, DEFAULT_DAYS = 30, 7
# What issuance hands out (secrets.token_urlsafe(32)); anything else is no link of ours.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
_SAFE_NUMBER = re.compile(r"[^A-Za-z0-9-]")


@router.post("/copies/{issuance_id}/shares", response_class=HTMLResponse)
async def create_share(page: PageDep, issuance_id: UUID, request: Request) -> HTMLResponse:
    token = page.require_signed_in()
    form = await request.form()
    recipient = str(form.get("recipient") or "").strip()
    days_text = str(form.get("expires_in_days") or "").strip()
    errors: dict[str, str] = {}
    if not 1 <= len(recipient) <= 100:
        errors["recipient"] = messages.SHARE["recipient"]
    days = int(days_text) if days_text.isdigit() else 0
    if not 1 <= days <= MAX_DAYS:
        errors["expires_in_days"] = messages.SHARE["days"]
    if errors:
        return await copy_view(
            page, issuance_id, status_code=422, share_errors=errors,
            share_values={"recipient": recipient[:100], "expires_in_days": days_text[:2]},
        )  # fmt: skip
    created = await page.issuance.create_share(token, issuance_id, recipient, days)
    issuance = await page.issuance.issuance(token, issuance_id)
    return page.render(
        "share_created.html", nav="copies", share=created.model_dump(mode="json"),
        issuance=issuance.model_dump(mode="json"),
    )  # fmt: skip


@router.post("/copies/{issuance_id}/shares/{share_id}/revoke")
async def revoke_share(page: PageDep, issuance_id: UUID, share_id: UUID) -> RedirectResponse:
    token = page.require_signed_in()
    await page.issuance.revoke_share(token, issuance_id, share_id)
    return RedirectResponse(f"/copies/{issuance_id}?revoked=1#shares", status_code=303)


@router.get("/share/{token}", response_class=HTMLResponse)
async def share_page(page: PageDep, token: str) -> HTMLResponse:
    if not _TOKEN.fullmatch(token):
        return _closed(page, 404, "not-found")
    return _form(page, token)


@router.post("/share/{token}", response_class=HTMLResponse)
async def open_share(page: PageDep, token: str, request: Request) -> Response:
    if not _TOKEN.fullmatch(token):
        return _closed(page, 404, "not-found")
    form = await request.form()
    code = "".join(str(form.get("access_code") or "").split())[:32]
    if not code:
        return _form(page, token, 422, messages.SHARE["missing-code"])
    try:
        response, body = await page.issuance.shared_document(token, code)
    except ApiProblem as problem:
        return _refused(page, token, problem)
    number = _SAFE_NUMBER.sub("", _filename_number(response.headers.get("content-disposition")))
    headers = {
        "Content-Disposition": f'attachment; filename="medrec-{number or "document"}.pdf"',
    }
    if "content-length" in response.headers:
        headers["Content-Length"] = response.headers["content-length"]
    return StreamingResponse(
        body, media_type="application/pdf", headers=headers,
        background=BackgroundTask(response.aclose),
    )  # fmt: skip


def _filename_number(disposition: str | None) -> str:
    found = re.search(r'filename="([^"]+)\.pdf"', disposition or "")
    return found.group(1) if found else ""


def _refused(page: Page, token: str, problem: ApiProblem) -> HTMLResponse:
    if problem.status == 403:
        return _form(page, token, 403, messages.SHARE["wrong-code"])
    if problem.status == 429:
        return _form(page, token, 429, messages.SHARE["too-many"])
    if problem.status == 404:
        return _closed(page, 404, "not-found")
    if problem.status == 410:
        reason = str(problem.extra.get("reason") or "")
        return _closed(page, 410, reason if reason in ("revoked", "expired") else "copy-gone")
    raise problem  # the front door's problem page (an API away: 502/503)


def _form(page: Page, token: str, status_code: int = 200, error: str | None = None) -> HTMLResponse:
    errors = {"access_code": error} if error else {}
    return page.render(
        "share.html", status_code=status_code, nav="", token=token, errors=errors,
        limited=status_code == 429,
    )  # fmt: skip


def _closed(page: Page, status_code: int, why: str) -> HTMLResponse:
    return page.render(
        "share_closed.html", status_code=status_code, nav="", why=why,
        message=messages.SHARE[why],
    )  # fmt: skip
