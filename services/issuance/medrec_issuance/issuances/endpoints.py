"""Certified copies and documents: requests, previews and downloads by the person (or their
guardian); and a transfer's 이관확인서, read by ingest for the depositor."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from medrec_issuance.deps import DbSession, IssuancesDep, ReceiptReader, Requester, VaultDep
from medrec_issuance.issuances import receipts, service
from medrec_issuance.issuances.documents import NothingToShow
from medrec_issuance.issuances.schemas import (
    DocumentPreview,
    IssuanceIn,
    IssuanceOut,
    document_preview,
    issuance_out,
)
from medrec_shared.platform.auth import bearer_token
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import (
    Gone,
    UpstreamRefused,
    UpstreamUnavailable,
    ValidationFailed,
)
from medrec_shared.platform.web import Now
from medrec_shared.rules.clients.issuance import RECEIPT_PATH

router = APIRouter(tags=["issuances"])


@router.post(
    "/v1/issuances",
    status_code=202,
    response_model=IssuanceOut,
    # catalog, ingest, identity; nothing to show
    responses=problem_responses(UpstreamUnavailable, UpstreamRefused, NothingToShow),
)
async def request_copy(
    body: IssuanceIn,
    request: Request,
    session: DbSession,
    principal: Requester,
    issuances: IssuancesDep,
    now: Now,
) -> IssuanceOut:
    issuance = await issuances.request(
        session,
        principal,
        bearer=bearer_token(request),
        selection=body.selection(),
        purpose=body.purpose,
    )
    return issuance_out(issuance, now)


@router.post(
    "/v1/issuances:preview",
    response_model=DocumentPreview,
    responses=problem_responses(
        UpstreamUnavailable, UpstreamRefused, NothingToShow, ValidationFailed
    ),
)
async def preview_document(
    body: IssuanceIn, session: DbSession, principal: Requester, issuances: IssuancesDep
) -> DocumentPreview:
    """What the document asked for would hold (dates, amounts, counts), or why there is
    nothing to issue; `purpose` is ignored. A copy (record_copy) has no preview."""
    return document_preview(await issuances.preview(session, principal, body.selection()))


@router.get("/v1/issuances")
async def list_copies(
    session: DbSession,
    principal: Requester,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[IssuanceOut]:
    rows = await service.issuances_of(session, principal, limit=limit + 1, after=cursor)
    return page_of(rows, limit, lambda i: issuance_out(i, now), lambda i: str(i.issuance_id))


@router.get("/v1/issuances/{issuance_id}", response_model=IssuanceOut)
async def get_copy(
    issuance_id: uuid.UUID, session: DbSession, principal: Requester, now: Now
) -> IssuanceOut:
    return issuance_out(await service.issuance_of(session, principal, issuance_id), now)


@router.get(
    "/v1/issuances/{issuance_id}/document",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(Gone)},
)
async def download_copy(
    issuance_id: uuid.UUID, session: DbSession, principal: Requester, issuances: IssuancesDep
) -> StreamingResponse:
    issuance, content = await issuances.download(session, principal, issuance_id)
    return StreamingResponse(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issuance.issuance_number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    RECEIPT_PATH,
    response_class=StreamingResponse,
    tags=["internal"],
    summary="A transfer's 이관확인서, for ingest",
    description="Asked by ingest (`GET /v1/transfers/{id}/receipt`) with the depositor's own "
    "token: the signed PDF of the transfer's receipt. 404 when there is none for this client, "
    "409 while it is being made.",
    responses={200: {"content": {"application/pdf": {}}}, 409: {"description": "Not made yet"}},
)
async def transfer_receipt(
    transfer_id: uuid.UUID, session: DbSession, principal: ReceiptReader, vault: VaultDep
) -> StreamingResponse:
    issuance, content = await receipts.receipt_download(session, vault, principal, transfer_id)
    return StreamingResponse(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issuance.issuance_number}.pdf"',
            "Cache-Control": "no-store",
        },
    )
