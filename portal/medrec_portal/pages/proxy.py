"""대리 신청 (의료법 제21조): a relative's or proxy's request with its documents, sent to issuance
as the multipart body it takes; the requests this session made, with their status.

The patient's RRN is posted in the form's body and passed on in issuance's body, never kept."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile  # what a parsed form holds (not fastapi's subclass)

from medrec_portal import messages
from medrec_portal.backends import ApiProblem
from medrec_portal.web import Page, PageDep

router = APIRouter()
DOCUMENTS = {
    "consent_form": "환자의 동의서",
    "kinship_certificate": "가족관계증명서",
    "power_of_attorney": "위임장",
}


async def _requests(page: Page, token: str) -> list[dict[str, Any]]:
    out = []
    for request_id in page.data.proxy_requests[-20:]:
        try:
            found = await page.backends.call(
                "issuance", "GET", f"/v1/proxy-requests/{request_id}", token=token
            )
        except ApiProblem as problem:
            if problem.status != 404:
                raise
            continue
        out.append(found | {"request_id": request_id})
    return out[::-1]


@router.get("/proxy", response_class=HTMLResponse)
async def proxy_page(page: PageDep, submitted: str = "") -> HTMLResponse:
    token = page.own_token()
    return page.render(
        "proxy.html", nav="proxy", requests=await _requests(page, token), errors={}, values={},
        problem=None, submitted=bool(submitted), documents=DOCUMENTS,
    )  # fmt: skip


@router.post("/proxy", response_class=HTMLResponse)
async def submit(page: PageDep, request: Request) -> Response:
    token = page.own_token()
    form = await request.form()
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
        )  # fmt: skip

    if errors:
        return await again(422, "입력한 내용을 확인해 주세요.", errors)
    body: dict[str, Any] = {
        "patient": {"name": text["name"], "rrn": text["rrn"]},
        "relation": text["relation"],
    }
    if text["institution"]:
        body["institution_code"] = text["institution"]
    try:
        created = await page.backends.call(
            "issuance",
            "POST",
            "/v1/proxy-requests",
            token=token,
            data={"request": json.dumps(body, ensure_ascii=False)},
            files=files,
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        fields = messages.field_messages(problem)
        fields = {("name" if k == "patient.name" else "rrn" if k == "patient.rrn" else k): v
                  for k, v in fields.items()}  # fmt: skip
        return await again(problem.status, messages.sentence(problem), fields)
    page.data.proxy_requests = [*page.data.proxy_requests, str(created["request_id"])][-20:]
    await page.save()
    return RedirectResponse("/proxy?submitted=1", status_code=303)
