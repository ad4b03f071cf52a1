"""이관: transfers by region and status, one transfer's counts and recent problems, and its
release (a suspended institution reopened takes its records back), proposed by one person and
confirmed by a second, different one; and the confirmation of a completed transfer's 이관확인서 by
its region's health centre, beside what the depositor declared against what was stored.

ingest holds a health centre's person to their region: the page fixes the region filter to
theirs (the token's), and a transfer of another region is "not found" whichever way it is asked
for. Who may release (`transfers:release`) is shown the button; ingest decides."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.forms import REGIONS, TRANSFER_STATUS, TransferFilterForm
from medrec_console.web import Page, PageDep
from medrec_shared.rules import staff
from medrec_shared.rules.regions import region_code

router = APIRouter()
PAGE_SIZE = 50
DONE = {
    "proposed": "반환을 제안했습니다. 다른 운영자가 확인하면 반환됩니다.",
    "released": "반환했습니다. 기관이 정해진 기간 안에 기록을 내려받을 수 있습니다.",
    "receipt": "이관확인서를 확인했습니다.",
}
DIFFERENCE_FIELDS = {"period.from": "진료기간 시작", "period.to": "진료기간 끝"}


def _region_name(region: str) -> str:
    """A transfer's region as deposited ("11", "서울", "서울특별시"), named in full."""
    return REGIONS.get(region_code(region) or "", region)


def _vocabulary() -> dict[str, Any]:
    return {
        "regions": REGIONS,
        "region_name": _region_name,
        "statuses": TRANSFER_STATUS,
        "reasons": messages.TRANSFER_REASONS,
        "release_status": messages.RELEASE_STATUS,
        "difference_label": _difference_label,
    }


def _difference_label(field: str) -> str:
    """A reconciliation's field in words: 건수 of a kind or specialty, or the period's ends."""
    group, _, name = field.partition(".")
    if group == "counts":
        return f"{messages.KINDS.get(name, name)} 건수"
    if group == "specialties":
        return f"{messages.SPECIALTIES.get(name, name)} 건수"
    return DIFFERENCE_FIELDS.get(field, field)


def _fixed_region(page: Page) -> str | None:
    """The one region this person oversees (a health centre's), or None (every region)."""
    person = page.staff
    return staff.region_limit(person.roles, person.region) if person else None


@router.get("/transfers", response_class=HTMLResponse)
async def transfers(
    page: PageDep, cursor: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    token = await page.require(staff.TRANSFERS_OVERSEE, nav="transfers")
    form = TransferFilterForm.read(page.request.query_params)
    fixed = _fixed_region(page)
    if fixed:
        form.region = fixed
    if not form.valid():
        return page.render(
            "transfers.html", status_code=422, nav="transfers", form=form, transfers=None,
            fixed_region=fixed, problem=messages.PROBLEMS["validation"], more_query="",
            **_vocabulary(),
        )  # fmt: skip
    found = await page.clients.transfers.transfers(
        token, region=form.region or None, status=form.status or None, limit=PAGE_SIZE,
        cursor=cursor,
    )  # fmt: skip
    more = {"region": form.region, "status": form.status, "cursor": found.next_cursor or ""}
    return page.render(
        "transfers.html", nav="transfers", form=form, transfers=found, fixed_region=fixed,
        problem=None, more_query=urlencode({k: v for k, v in more.items() if v}),
        **_vocabulary(),
    )  # fmt: skip


async def _transfer(
    page: Page, token: str, transfer_id: uuid.UUID, *, status_code: int = 200,
    notice: str | None = None, problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    found = await page.clients.transfers.transfer(token, transfer_id)
    person = page.staff
    return page.render(
        "transfer.html", status_code=status_code, nav="transfers", transfer=found,
        can_release=bool(person and staff.TRANSFERS_RELEASE in person.scopes),
        me=person.login if person else None, notice=notice, problem=problem, **_vocabulary(),
    )  # fmt: skip


@router.get("/transfers/{transfer_id}", response_class=HTMLResponse)
async def transfer(
    page: PageDep, transfer_id: uuid.UUID, done: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    token = await page.require(staff.TRANSFERS_OVERSEE, nav="transfers")
    return await _transfer(page, token, transfer_id, notice=DONE.get(done))


@router.post("/transfers/{transfer_id}/release", response_class=HTMLResponse)
async def release(page: PageDep, transfer_id: uuid.UUID) -> Response:
    token = await page.require(staff.TRANSFERS_RELEASE, nav="transfers")
    try:
        outcome = await page.clients.transfers.release(token, transfer_id)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status in (401, 404):
            raise
        sentence = messages.release_sentence(problem)
        return await _transfer(page, token, transfer_id, status_code=problem.status,
                               problem=sentence)  # fmt: skip
    done = "released" if outcome.status == "released" else "proposed"
    return RedirectResponse(f"/transfers/{transfer_id}?done={done}", status_code=303)


@router.post("/transfers/{transfer_id}/receipt/confirm", response_class=HTMLResponse)
async def confirm_receipt(page: PageDep, transfer_id: uuid.UUID) -> Response:
    """The region's health centre confirms the 이관확인서 of a completed transfer."""
    token = await page.require(staff.TRANSFERS_OVERSEE, nav="transfers")
    try:
        await page.clients.transfers.confirm_receipt(token, transfer_id)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status in (401, 404):
            raise
        sentence = messages.receipt_sentence(problem)
        return await _transfer(page, token, transfer_id, status_code=problem.status,
                               problem=sentence)  # fmt: skip
    return RedirectResponse(f"/transfers/{transfer_id}?done=receipt", status_code=303)
