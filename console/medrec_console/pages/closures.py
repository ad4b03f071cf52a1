"""폐업 의료기관: every closed or suspended clinic known (the public closure data and the
deposits), searched as the portal searches them, and each clinic's custody set by its health
centre: who keeps the records (개설자, 보건소) and how to ask, or 미확인.

A health centre's person sees their own region (the filter is fixed to the token's region) and
catalog refuses another region's clinic (403), whichever way it is asked for; platform staff see
and set every region. 보관 중 and 이관 중 follow from transfers and are never set here."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.forms import (
    CUSTODY_DECLARED,
    CUSTODY_SHOWN,
    REGIONS,
    ClosureFilterForm,
    CustodyForm,
)
from medrec_console.web import Page, PageDep
from medrec_shared.rules import staff
from medrec_shared.rules.regions import region_code

router = APIRouter()
PAGE_SIZE = 50
Code = Annotated[str, Path(pattern=r"^\d{8}$")]
REFUSED = {
    403: "소속 지역의 의료기관만 보관 정보를 정할 수 있습니다.",
    404: "그 요양기관기호의 의료기관이 없습니다.",
}


def _vocabulary() -> dict[str, Any]:
    return {
        "regions": REGIONS,
        "region_name": lambda r: REGIONS.get(region_code(r) or "", r),
        "custody_shown": CUSTODY_SHOWN,
        "custody_declared": CUSTODY_DECLARED,
        "statuses": messages.TRANSFER_REASONS | {"closed": "폐업", "suspended": "휴업",
                                                 "reopened": "재개업"},
    }  # fmt: skip


def _fixed_region(page: Page) -> str | None:
    person = page.staff
    return staff.region_limit(person.roles, person.region) if person else None


@router.get("/closures", response_class=HTMLResponse)
async def closures(
    page: PageDep, cursor: Annotated[str | None, Query(max_length=16)] = None
) -> HTMLResponse:
    token = await page.require(staff.CLOSURES_MANAGE, nav="closures")
    form = ClosureFilterForm.read(page.request.query_params)
    fixed = _fixed_region(page)
    if fixed:
        form.region = fixed
    if not form.valid():
        return page.render(
            "closures.html", status_code=422, nav="closures", form=form, closures=None,
            fixed_region=fixed, problem=messages.PROBLEMS["validation"], more_query="",
            **_vocabulary(),
        )  # fmt: skip
    found = await page.clients.closures.closures(
        token, q=form.q or None, region=form.region or None, custody=form.custody or None,
        limit=PAGE_SIZE, cursor=cursor,
    )  # fmt: skip
    more = {"q": form.q, "region": form.region, "custody": form.custody}
    more["cursor"] = found.next_cursor or ""
    return page.render(
        "closures.html", nav="closures", form=form, closures=found, fixed_region=fixed,
        problem=None, more_query=urlencode({k: v for k, v in more.items() if v}),
        **_vocabulary(),
    )  # fmt: skip


async def _closure(
    page: Page, token: str, code: str, *, form: CustodyForm | None = None,
    status_code: int = 200, notice: str | None = None, problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    found = await page.clients.closures.closure(token, code)
    if form is None:
        declared = found.custody.status in CUSTODY_DECLARED
        form = CustodyForm(
            status=found.custody.status if declared else "",
            holder=found.custody.holder or "", contact=found.custody.contact or "",
        )  # fmt: skip
    return page.render(
        "closure.html", status_code=status_code, nav="closures", closure=found, form=form,
        notice=notice, problem=problem, **_vocabulary(),
    )  # fmt: skip


@router.get("/closures/{code}", response_class=HTMLResponse)
async def closure(
    page: PageDep, code: Code, done: Annotated[str, Query(max_length=8)] = ""
) -> HTMLResponse:
    token = await page.require(staff.CLOSURES_MANAGE, nav="closures")
    notice = "보관 정보를 저장했습니다." if done == "saved" else None
    return await _closure(page, token, code, notice=notice)


@router.post("/closures/{code}/custody", response_class=HTMLResponse)
async def set_custody(page: PageDep, code: Code) -> Response:
    token = await page.require(staff.CLOSURES_MANAGE, nav="closures")
    form = CustodyForm.read(await page.form())
    if not form.valid():
        return await _closure(page, token, code, form=form, status_code=422,
                              problem=messages.PROBLEMS["validation"])  # fmt: skip
    try:
        await page.clients.closures.set_custody(token, code, form.body())
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        if problem.status == 404:
            raise
        sentence = REFUSED.get(problem.status) or messages.sentence(problem)
        return await _closure(page, token, code, form=form, status_code=problem.status,
                              problem=sentence)  # fmt: skip
    return RedirectResponse(f"/closures/{code}?done=saved", status_code=303)
