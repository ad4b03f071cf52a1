"""Relatives and proxies under Art. 21: citizens submit a request with supporting documents and
follow it; reviewers (scope proxy-requests:review) read the documents, then approve it (one
proposes, another confirms) or reject it, with a reason (`proxies.service` holds the rules)."""

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from medrec_issuance.deps import DbSession, ProxiesDep, ProxyReviewer, Requester, VaultDep
from medrec_issuance.models import ProxyRequestStatus
from medrec_issuance.proxies import service
from medrec_issuance.proxies.schemas import (
    OwnProxyRequest,
    ProxyRequestDetail,
    ProxyRequestForReview,
    ProxyRequestIn,
    ProxyRequestOut,
    ProxyRequestReviewed,
    Review,
    proxy_out,
    reviewed_out,
)
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.pages import Page
from medrec_shared.platform.problems import (
    UpstreamRefused,
    UpstreamUnavailable,
    ValidationFailed,
    field_errors,
)
from medrec_shared.platform.text import unstorable_errors

router = APIRouter(tags=["proxy requests"])
log = get_logger(__name__)
admin_router = APIRouter(tags=["proxy requests (reviewers)"], prefix="/v1/admin/proxy-requests")
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_DOCUMENT = 10 * 1024 * 1024
# What each accepted type starts with: a document is taken only when its bytes are what it says,
# since an operator's browser opens it.
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
DOCUMENT_KINDS = ("consent_form", "kinship_certificate", "power_of_attorney")
_FILE = {"type": "string", "contentMediaType": "application/octet-stream"}
#: The form, described here as the handler reads it itself (see `submit_proxy_request`).
PROXY_REQUEST_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["request"],
                    "properties": {
                        "request": {
                            "type": "string",
                            "description": "JSON: {patient: {name, rrn}, relation, "
                            "institution_code?}",
                        },
                        **{kind: _FILE for kind in DOCUMENT_KINDS},
                    },
                }
            }
        },
    }
}
DocumentKind = Annotated[str, Path(pattern=f"^({'|'.join(DOCUMENT_KINDS)})$")]


def _parse(request_json: str) -> ProxyRequestIn:
    try:
        document = json.loads(request_json)
    except json.JSONDecodeError:
        raise ValidationFailed(errors=[{"field": "request", "message": "not JSON"}]) from None
    # A JSON string inside a form field: the app's text check sees only its escapes.
    unstorable = unstorable_errors(document, ("request",))
    if unstorable:
        raise ValidationFailed(errors=field_errors(unstorable))
    try:
        return ProxyRequestIn.model_validate(document)
    except ValidationError as exc:
        errors = [{**e, "field": f"request.{e['field']}"} for e in field_errors(exc.errors())]
        raise ValidationFailed(errors=errors) from None


async def _read_document(kind: str, upload: UploadFile) -> service.Upload:
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in DOCUMENT_TYPES:
        message = f"must be one of {', '.join(sorted(DOCUMENT_TYPES))}"
        raise ValidationFailed(errors=[{"field": kind, "message": message}])
    data = await upload.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT or not data:
        message = f"must hold 1 to {MAX_DOCUMENT} bytes"
        raise ValidationFailed(errors=[{"field": kind, "message": message}])
    if not data.startswith(MAGIC[content_type]):
        message = f"is not a {content_type} file (its first bytes say otherwise)"
        raise ValidationFailed(errors=[{"field": kind, "message": message}])
    # Kept as declared (parameters and all): it is what the operator's download answers with.
    return service.Upload(content_type=upload.content_type or "", data=data)


def _form_fields(form: FormData) -> tuple[str, dict[str, UploadFile]]:
    """The `request` field and the documents given, or `ValidationFailed` naming the field."""
    errors = [
        {"field": name, "message": "is not a field of this form"}
        for name in form
        if name != "request" and name not in DOCUMENT_KINDS
    ]
    request = form.get("request")
    if not isinstance(request, str):
        errors.append({"field": "request", "message": "is required, as a text field"})
    documents: dict[str, UploadFile] = {}
    for kind in DOCUMENT_KINDS:
        value = form.get(kind)
        if isinstance(value, UploadFile):
            documents[kind] = value
        elif value is not None:
            errors.append({"field": kind, "message": "must be a file"})
    if errors or not isinstance(request, str):
        raise ValidationFailed(errors=errors)
    return request, documents


@router.post(
    "/v1/proxy-requests",
    status_code=202,
    response_model=ProxyRequestOut,
    openapi_extra=PROXY_REQUEST_FORM,
)
async def submit_proxy_request(
    http: Request,
    session: DbSession,
    principal: Requester,
    proxies: ProxiesDep,
) -> ProxyRequestOut:
    service.check_may_submit(principal)
    # The form is read only now, after the token and the right to submit were checked. Declared
    # as parameters, its fields would be read and parsed, documents and all, before any
    # dependency ran: by anyone, with no token at all.
    form = await http.form(max_files=len(DOCUMENT_KINDS), max_fields=1 + len(DOCUMENT_KINDS))
    try:
        request, uploads = _form_fields(form)
        body = _parse(request)
        service.require_documents(body.relation, list(uploads))
        documents = {kind: await _read_document(kind, u) for kind, u in uploads.items()}
    finally:
        await form.close()
    proxy = await proxies.submit(session, principal, body, documents)
    return proxy_out(proxy)


@router.get("/v1/proxy-requests")
async def list_own_requests(
    session: DbSession,
    principal: Requester,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[OwnProxyRequest]:
    """The caller's own requests under Art. 21, newest first, with their status."""
    return await service.requests_of(session, principal, limit=limit, before=cursor)


@router.get(
    "/v1/proxy-requests/{request_id}",
    response_model=ProxyRequestOut,
    response_model_exclude_none=True,
)
async def get_proxy_request(
    request_id: uuid.UUID, session: DbSession, principal: Requester
) -> ProxyRequestOut:
    return proxy_out(await service.request_of(session, principal, request_id))


@admin_router.get("")
async def list_requests(
    session: DbSession,
    _: ProxyReviewer,
    status: Annotated[str | None, Query(pattern=r"^(submitted|approved|rejected)$")] = "submitted",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[ProxyRequestForReview]:
    wanted = ProxyRequestStatus(status) if status else None
    return await service.review_queue(session, wanted, limit=limit, after=cursor)


@admin_router.get(
    "/{request_id}",
    response_model=ProxyRequestDetail,
    responses=problem_responses(UpstreamUnavailable, UpstreamRefused),  # catalog, ingest
)
async def show_request(
    request_id: uuid.UUID, session: DbSession, reviewer: ProxyReviewer, proxies: ProxiesDep
) -> ProxyRequestDetail:
    """One request with the patient as the requester typed them (the RRN masked after its
    seventh digit, the birth date and sex it gives) and the names the records held under that
    RRN were deposited under, each marked matching or not. An audited read: it goes to the
    patient's access history, and so does ingest's read of each record's name."""
    detail = await proxies.review_of(session, reviewer, request_id)
    log.info("proxy_request_viewed", request_id=str(request_id))
    return detail


@admin_router.get("/{request_id}/documents/{kind}", response_class=StreamingResponse)
async def read_document(
    request_id: uuid.UUID,
    kind: DocumentKind,
    session: DbSession,
    reviewer: ProxyReviewer,
    proxies: ProxiesDep,
    vault: VaultDep,
) -> StreamingResponse:
    """A supporting document, downloaded: an audited read (the patient's access history, the
    audit trail)."""
    document = await proxies.document_for_review(session, reviewer, request_id, kind)
    base = document.content_type.split(";")[0].strip().lower()
    return StreamingResponse(
        vault.get(document.object_key, document.kek_id, document.wrapped_dek),
        media_type=document.content_type,
        headers={
            "Cache-Control": "no-store",
            # Downloaded, never rendered in the operator's session, and never sniffed.
            "Content-Disposition": f'attachment; filename="{kind}{EXTENSIONS.get(base, "")}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@admin_router.post(
    "/{request_id}/approve",
    response_model=ProxyRequestReviewed,
    responses={
        **problem_responses(UpstreamUnavailable, UpstreamRefused),  # catalog, ingest
        403: {"description": "A machine account, or a token without proxy-requests:review"},
        409: {"description": "Reviewed already, or the proposer approves again (another must)"},
    },
)
async def approve(
    request_id: uuid.UUID,
    review: Review,
    session: DbSession,
    reviewer: ProxyReviewer,
    proxies: ProxiesDep,
) -> ProxyRequestReviewed:
    """The first reviewer's approval proposes it (still `submitted`, `proposed_by` them, no
    copy); a different reviewer's confirms it: `approved`, and the copy is issued."""
    proxy = await proxies.approve(session, reviewer, request_id, reason=review.reason)
    return reviewed_out(proxy)


@admin_router.post(
    "/{request_id}/reject",
    response_model=ProxyRequestReviewed,
    responses={403: {"description": "A machine account, or a token without the scope"}},
)
async def reject(
    request_id: uuid.UUID,
    review: Review,
    session: DbSession,
    reviewer: ProxyReviewer,
    proxies: ProxiesDep,
) -> ProxyRequestReviewed:
    """One reviewer rejects (ending an approval proposed meanwhile)."""
    proxy = await proxies.reject(session, reviewer, request_id, reason=review.reason)
    return reviewed_out(proxy)
