"""장애 이벤트: the events ingest, catalog and issuance each parked (their handler failed past
its retries), side by side, and a retry asked of the service that parked one. A service that
cannot be reached is said as such in its own section; the others are still shown."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.dead_letters import CONSUMERS, Consumer, DeadLetter
from medrec_console.clients.http import ApiProblem
from medrec_console.forms import DEAD_LETTER_STATUS
from medrec_console.web import Page, PageDep
from medrec_shared.rules import staff

router = APIRouter()
PAGE_SIZE = 100
Status = Annotated[str, Query(pattern="^(parked|retry_requested|retried)$")]


class Found:
    """One service's section: its entries, or the sentence saying why there are none to show."""

    def __init__(self, entries: list[DeadLetter], problem: str | None = None) -> None:
        self.entries = entries
        self.problem = problem


async def _render(
    page: Page, token: str, *, status: str = "parked", status_code: int = 200,
    notice: str | None = None, problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    sections: list[tuple[Consumer, Found]] = []
    for service in CONSUMERS:
        try:
            found = await page.clients.dead_letters.dead_letters(
                token, service, status=status, limit=PAGE_SIZE
            )
            sections.append((service, Found(found.items)))
        except ApiProblem as failed:
            if failed.status == 401:
                raise
            sections.append((service, Found([], messages.sentence(failed))))
    return page.render(
        "dead_letters.html", status_code=status_code, nav="dead-letters", services=sections,
        status=status, statuses=DEAD_LETTER_STATUS, service_names=messages.SERVICE_NAMES,
        notice=notice, problem=problem,
    )  # fmt: skip


@router.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters(
    page: PageDep, status: Status = "parked", retried: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    token = await page.require(staff.DEAD_LETTERS_MANAGE, nav="dead-letters")
    notice = None
    service, _, entry = retried.partition(":")
    if service in CONSUMERS and entry.isdigit():
        name = messages.SERVICE_NAMES[service]
        notice = f"{name}의 {entry}번 이벤트 재처리를 요청했습니다. 처리되면 상태가 바뀝니다."
    return await _render(page, token, status=status, notice=notice)


@router.post("/dead-letters/{service}/{entry_id}/retry", response_class=HTMLResponse)
async def retry(
    page: PageDep,
    service: Annotated[Consumer, Path()],
    entry_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:
    token = await page.require(staff.DEAD_LETTERS_MANAGE, nav="dead-letters")
    try:
        await page.clients.dead_letters.retry(token, service, entry_id)
    except ApiProblem as problem:
        if problem.status not in (404, 409):
            raise
        sentence = messages.OPERATIONS_PROBLEMS[
            "not-parked" if problem.status == 409 else "not-found"
        ]
        return await _render(page, token, status_code=problem.status, problem=sentence)
    return RedirectResponse(f"/dead-letters?retried={service}:{entry_id}", status_code=303)
