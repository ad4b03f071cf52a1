"""대리 신청 검토: Art. 21 requests (의료법 제21조). The queue carries no personal data; one
request shows its documents as pictures (rendered to PNG here, never the uploaded file, see
`medrec_console.pictures`) beside the patient as the requester typed them (RRN masked by
issuance) and whether records are held under that name, then 승인 or 반려 with a 사유. An
approval is proposed by one reviewer and confirmed by another, who issues the copy (issuance
enforces it: the same reviewer's confirmation is refused)."""

import functools
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from medrec_console import decisions, messages
from medrec_console.clients.models import DocumentFacts
from medrec_console.clients.proxy_requests import DocumentTooLarge
from medrec_console.forms import DecisionForm
from medrec_console.pictures import Rendered, Unrenderable, render
from medrec_console.web import Page, PageDep, log
from medrec_shared.rules import staff

router = APIRouter()
PAGE_SIZE = 50
STATUSES = ("submitted", "approved", "rejected")
UNRENDERABLE = "이 서류는 손상되었거나 읽을 수 없는 형식이라 표시할 수 없습니다."
DONE = {
    "proposed": "승인을 제안했습니다.",
    "approved": "승인했습니다. 신청인에게 사본이 발급됩니다.",
    "rejected": "반려했습니다. 신청인에게 반려 사유가 전해집니다.",
}


@dataclass(frozen=True)
class Shown:
    """One document as the page shows it: its pictures, or why there are none."""

    facts: DocumentFacts
    label: str
    rendered: Rendered | None
    problem: str | None = None


@router.get("/proxy-requests", response_class=HTMLResponse)
async def queue(
    page: PageDep,
    status: Annotated[str, Query(pattern="^(submitted|approved|rejected)$")] = "submitted",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    token = await page.require(staff.PROXY_REVIEW, nav="proxy-requests")
    found = await page.clients.proxy_requests.queue(
        token, status=status, limit=PAGE_SIZE, cursor=cursor
    )
    return page.render(
        "proxy_list.html", nav="proxy-requests", found=found, status=status, statuses=STATUSES
    )


async def _document(page: Page, token: str, request_id: uuid.UUID, facts: DocumentFacts) -> Shown:
    label = messages.DOCUMENTS.get(facts.kind, facts.kind)
    settings = page.settings
    try:
        content_type, content = await page.clients.proxy_requests.document(
            token, request_id, facts.kind, settings.document_max_bytes
        )
        rendered = await render(content_type, content, settings.document_max_pages)
    except DocumentTooLarge:
        return Shown(facts, label, None, "파일이 너무 커서 화면에 표시할 수 없습니다.")
    except Unrenderable:
        log.info("proxy_document_unrenderable", request_id=str(request_id), kind=facts.kind)
        return Shown(facts, label, None, UNRENDERABLE)
    return Shown(facts, label, rendered)


async def _detail(
    page: Page, token: str, request_id: uuid.UUID, *, status_code: int = 200,
    form: DecisionForm | None = None, problem: str | None = None, done: str | None = None,
) -> HTMLResponse:  # fmt: skip
    request = await page.clients.proxy_requests.request(token, request_id)
    documents = [await _document(page, token, request_id, facts) for facts in request.documents]
    return page.render(
        "proxy_detail.html", status_code=status_code, nav="proxy-requests", proxy=request,
        documents=documents, form=form or DecisionForm(), problem=problem,
        done=DONE.get(done or ""),
    )  # fmt: skip


@router.get("/proxy-requests/{request_id}", response_class=HTMLResponse)
async def proxy_request(
    page: PageDep,
    request_id: uuid.UUID,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    token = await page.require(staff.PROXY_REVIEW, nav="proxy-requests")
    return await _detail(page, token, request_id, done=done)


@router.post("/proxy-requests/{request_id}", response_class=HTMLResponse)
async def decide(page: PageDep, request_id: uuid.UUID) -> Response:
    token = await page.require(staff.PROXY_REVIEW, nav="proxy-requests")
    return await decisions.decide(
        page,
        token,
        request_id,
        decider=page.clients.proxy_requests,
        detail=functools.partial(_detail, page, token, request_id),
        url=f"/proxy-requests/{request_id}",
    )
