"""연계 검토: linkage candidates (a record deposited without an RRN, and the verified person it
may be). The list carries no personal data; one candidate shows the record's and the person's
demographics side by side (catalog records that read), and 승인 or 반려 with a 사유. An approval
is proposed by one reviewer and confirmed by another (catalog enforces it; the page says whose
confirmation it waits for)."""

import functools
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from medrec_console import decisions
from medrec_console.forms import DecisionForm
from medrec_console.web import Page, PageDep
from medrec_shared.rules import staff

router = APIRouter()
PAGE_SIZE = 50
STATUSES = ("pending", "approved", "rejected")
DONE = {
    "proposed": "승인을 제안했습니다.",
    "approved": "승인했습니다. 기록이 이 사람에게 연결되었습니다.",
    "rejected": "반려했습니다. 기록은 연결되지 않은 채로 남습니다.",
}


@router.get("/linkage", response_class=HTMLResponse)
async def candidates(
    page: PageDep,
    status: Annotated[str, Query(pattern="^(pending|approved|rejected)$")] = "pending",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    token = await page.require(staff.LINKAGE_REVIEW, nav="linkage")
    found = await page.clients.linkage.candidates(
        token, status=status, limit=PAGE_SIZE, cursor=cursor
    )
    return page.render(
        "linkage_list.html", nav="linkage", found=found, status=status, statuses=STATUSES
    )


async def _detail(
    page: Page, token: str, candidate_id: uuid.UUID, *, status_code: int = 200,
    form: DecisionForm | None = None, problem: str | None = None, done: str | None = None,
) -> HTMLResponse:  # fmt: skip
    candidate = await page.clients.linkage.candidate(token, candidate_id)
    return page.render(
        "linkage_detail.html", status_code=status_code, nav="linkage", candidate=candidate,
        form=form or DecisionForm(), problem=problem, done=DONE.get(done or ""),
    )  # fmt: skip


@router.get("/linkage/{candidate_id}", response_class=HTMLResponse)
async def candidate(
    page: PageDep,
    candidate_id: uuid.UUID,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    token = await page.require(staff.LINKAGE_REVIEW, nav="linkage")
    return await _detail(page, token, candidate_id, done=done)


@router.post("/linkage/{candidate_id}", response_class=HTMLResponse)
async def decide(page: PageDep, candidate_id: uuid.UUID) -> Response:
    token = await page.require(staff.LINKAGE_REVIEW, nav="linkage")
    return await decisions.decide(
        page,
        token,
        candidate_id,
        decider=page.clients.linkage,
        detail=functools.partial(_detail, page, token, candidate_id),
        url=f"/linkage/{candidate_id}",
    )
