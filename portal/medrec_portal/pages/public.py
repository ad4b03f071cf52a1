"""The pages anyone opens: 홈, 휴·폐업 의료기관 찾기, 진위확인 (what every copy's QR code opens)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

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


@router.get("/institutions", response_class=HTMLResponse)
async def institutions(
    page: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=20)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
    custody: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Every closed or suspended clinic known, with who holds its records and how to ask."""
    if custody not in messages.CUSTODY_FILTERS:
        custody = ""
    asked = {"q": q.strip(), "region": region, "type": type, "custody": custody}
    params = {k: v for k, v in asked.items() if v}
    params["limit"] = "100"
    found = await page.catalog.institutions(params)
    return page.render(
        "institutions.html",
        nav="institutions",
        items=found,
        q=q,
        region=region,
        type=type,
        custody=custody,
        searched=bool(q or region or type or custody),
    )


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
