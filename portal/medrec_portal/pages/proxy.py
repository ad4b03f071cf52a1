"""대리 신청 (의료법 제21조): a relative's or proxy's request with its documents, sent to issuance
as the multipart body it takes; the citizen's requests, as issuance lists them (their own,
newest first, a page at a time), with their status.

The patient's RRN is posted in the form's body and passed on in issuance's body, never kept."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile  # what a parsed form holds (not fastapi's subclass)

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.clients.models import OwnProxyRequests
from medrec_portal.web import Page, PageDep
from medrec_shared.platform.logs import get_logger

router = APIRouter()
log = get_logger("medrec.portal.proxy")
DOCUMENTS = {
    "consent_form": "환자의 동의서",
    "kinship_certificate": "가족관계증명서",
    "power_of_attorney": "위임장",
}


PAGE_SIZE = 20


async def _requests(page: Page, token: str, cursor: str | None = None) -> OwnProxyRequests:
    """A page of the citizen's own requests: `{items, next_cursor}` as issuance answers it."""
    return await page.issuance.proxy_requests(token, PAGE_SIZE, cursor)


@router.get("/proxy", response_class=HTMLResponse)
async def proxy_page(
    page: PageDep,
    submitted: Annotated[str, Query(max_length=1)] = "",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    token = page.own_token()
    return page.render(
        "proxy.html", nav="proxy", requests=await _requests(page, token, cursor), errors={},
        values={}, problem=None, submitted=bool(submitted), documents=DOCUMENTS,
        paged=bool(cursor),
    )  # fmt: skip


@router.post("/proxy", response_class=HTMLResponse)
async def submit(page: PageDep, request: Request) -> Response:
    # Signed in (and the CSRF token, from the form's action, checked) before the body is read;
    # the body is bounded as it arrives (medrec_portal.bodies).
    token = page.own_token()
    form = await request.form(max_files=len(DOCUMENTS), max_fields=len(DOCUMENTS) + 8)
    text = {k: str(form.get(k) or "").strip() for k in ("name", "rrn", "relation", "institution")}
    values = {k: v for k, v in text.items() if k != "rrn"}
    errors = {}
    if not text["name"]:
        errors["name"] = "환자 이름을 입력해 주세요."
    if not text["rrn"]:
        errors["rrn"] = "환자 주민등록번호를 입력해 주세요."
    if text["relation"] not in messages.RELATIONS:
        errors["relation"] = "환자와의 관계를 선택해 주세요."
    files: dict[str, tuple[str, bytes, str]] = {}
    for kind in DOCUMENTS:
        upload = form.get(kind)
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(page.settings.proxy_document_max_bytes + 1)
            if len(content) > page.settings.proxy_document_max_bytes:
                errors[kind] = messages.PROBLEMS["content-too-large"]
                continue
            files[kind] = (upload.filename, content, upload.content_type or "application/pdf")

    async def again(status: int, alert: str, errors: dict[str, str]) -> HTMLResponse:
        return page.render(
            "proxy.html", status_code=status, nav="proxy", requests=await _requests(page, token),
            errors=errors, values=values, problem=alert, submitted=False, documents=DOCUMENTS,
            paged=False,
        )  # fmt: skip

    if errors:
        return await again(422, "입력한 내용을 확인해 주세요.", errors)
    try:
        created = await page.issuance.submit_proxy_request(
            token,
            patient_name=text["name"],
            patient_rrn=text["rrn"],
            relation=text["relation"],
            institution_code=text["institution"] or None,
            files=files,
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        fields = messages.field_messages(problem)
        fields = {("name" if k == "patient.name" else "rrn" if k == "patient.rrn" else k): v
                  for k, v in fields.items()}  # fmt: skip
        return await again(problem.status, messages.sentence(problem), fields)
    log.info("proxy_request_submitted", request_id=str(created.request_id))
    return RedirectResponse("/proxy?submitted=1", status_code=303)
