"""The pages anyone opens: 홈, 휴·폐업 의료기관 찾기, 진위확인 (what every copy's QR code opens).
On 의료기관 찾기 a signed-in citizen may ask for a clinic not held here to be transferred
(이관 요청, a form per clinic: it works without JavaScript); the clinics they asked for say so."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.clients.models import Verification
from medrec_portal.uploads import CopyUpload
from medrec_portal.web import Page, PageDep
from medrec_shared.platform.bodylimits import BodyTooLarge

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(page: PageDep) -> HTMLResponse:
    return page.render("home.html", nav="home")


REQUESTED = "이관을 요청했습니다. 기록이 이곳으로 이관되면 알림함으로 알려 드립니다."
REQUEST_PROBLEMS = {
    404: "찾는 의료기관이 없습니다. 다시 검색해 주세요.",
    409: "이 의료기관의 진료기록은 이미 이곳에 보관되어 있습니다. 내 진료기록에서 확인해 주세요.",
}


async def _asked(page: Page) -> set[str] | None:
    """The clinics the signed-in subject asked for; None when nobody is signed in (no button),
    or their sign-in has lapsed (the public page still answers)."""
    token = page.data.subject_token
    if token is None:
        return None
    try:
        return await page.catalog.my_transfer_requests(token)
    except ApiProblem as problem:
        if problem.status in (401, 403):
            return None
        raise


async def _institutions_page(
    page: Page, q: str, region: str, type: str, custody: str = "", *, status_code: int = 200,
    requested: str = "", problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """Every closed or suspended clinic known, with who holds its records and how to ask."""
    if custody not in messages.CUSTODY_FILTERS:
        custody = ""
    asked_for = {"q": q.strip(), "region": region, "type": type, "custody": custody}
    params = {k: v for k, v in asked_for.items() if v}
    params["limit"] = "100"
    found = await page.catalog.institutions(params)
    asked = await _asked(page)
    return page.render(
        "institutions.html",
        status_code=status_code,
        nav="institutions",
        items=found,
        q=q,
        region=region,
        type=type,
        custody=custody,
        searched=bool(q or region or type or custody),
        asked=asked,
        request_notice=REQUESTED if asked is not None and requested in asked else None,
        request_problem=problem,
    )


@router.get("/institutions", response_class=HTMLResponse)
async def institutions(
    page: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=20)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
    custody: Annotated[str, Query(max_length=20)] = "",
    requested: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    return await _institutions_page(page, q, region, type, custody, requested=requested)


@router.post("/institutions/{code}/transfer-request", response_class=HTMLResponse)
async def ask_for_transfer(
    page: PageDep,
    code: Annotated[str, Path(pattern=r"^\d{8}$")],
    q: Annotated[str, Form(max_length=100)] = "",
    region: Annotated[str, Form(max_length=20)] = "",
    type: Annotated[str, Form(max_length=20)] = "",
    custody: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """이관 요청 (again is the same request), then back to the same search, the clinic marked."""
    token = page.require_signed_in()
    try:
        await page.catalog.ask_transfer(token, code)
    except ApiProblem as problem:
        if problem.status not in REQUEST_PROBLEMS:
            raise
        return await _institutions_page(
            page, q, region, type, custody, status_code=problem.status,
            problem=REQUEST_PROBLEMS[problem.status],
        )  # fmt: skip
    search = {"q": q, "region": region, "type": type, "custody": custody}
    back = {k: v for k, v in search.items() if v}
    back["requested"] = code
    return RedirectResponse(f"/institutions?{urlencode(back)}#inst-{code}", status_code=303)


def _verified(answer: Verification) -> dict[str, Any]:
    """Only what the API tells, and nothing of the person (the API gives nothing of them)."""
    return answer.model_dump(mode="json")


@router.get("/verify", response_class=HTMLResponse)
async def verify(
    page: PageDep,
    number: Annotated[str, Query(max_length=32)] = "",
    code: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    number, code = number.strip(), code.strip()
    result = None
    error = None
    if number and code:
        try:
            answer = await page.issuance.verify(number, code)
            result = _verified(answer)
        except ApiProblem as problem:
            if problem.status in (400, 404, 422):
                result = {"valid": False}
            else:
                error = messages.sentence(problem)
    elif number or code:
        error = "발급번호와 확인코드를 모두 입력해 주세요."
    return page.render(
        "verify.html", nav="verify", number=number, code=code, result=result, error=error,
        by="number",
    )  # fmt: skip


@router.post("/verify", response_class=HTMLResponse)
async def verify_upload(page: PageDep, request: Request) -> HTMLResponse:
    """The copy goes on to issuance as it arrives (medrec_portal.uploads): the portal never
    holds it, and refuses it past issuance's own cap (medrec_portal.bodies)."""
    upload = CopyUpload(request.headers.get("content-type", ""), request.stream())
    try:
        if not await upload.chosen():
            return _upload_refused(page, 422, "확인할 사본 PDF 파일을 선택해 주세요.")
        answer = await page.issuance.verify_upload(upload.body(), upload.content_type)
        result = _verified(answer)
    except BodyTooLarge:
        return _upload_refused(page, 413, messages.PROBLEMS["content-too-large"])
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            return _upload_refused(page, 200, messages.sentence(problem))
        result = {"valid": False}
    return page.render(
        "verify.html", nav="verify", number="", code="", result=result, error=None, by="file"
    )


def _upload_refused(page: Page, status: int, sentence: str) -> HTMLResponse:
    return page.render(
        "verify.html", status_code=status, nav="verify", number="", code="", result=None,
        error=None, file_error=sentence, by="file",
    )  # fmt: skip
