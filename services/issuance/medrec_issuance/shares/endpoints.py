"""Shares of an issued copy: made, listed and revoked by the copy's requester; the document
downloaded by the recipient with the link's token and the access code (no sign-in)."""

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from medrec_issuance.deps import DbSession, Requester, SharesDep
from medrec_issuance.issuances.service import NotReady
from medrec_issuance.shares.schemas import (
    ShareCreated,
    ShareDocumentIn,
    ShareIn,
    SharesOut,
    share_out,
)
from medrec_issuance.shares.service import ShareGone, WrongAccessCode
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.problems import Gone, NotFound
from medrec_shared.platform.ratelimit import RateLimited
from medrec_shared.platform.web import Now

router = APIRouter(tags=["shares"])


@router.post(
    "/v1/issuances/{issuance_id}/shares",
    status_code=201,
    response_model=ShareCreated,
    responses=problem_responses(NotFound, NotReady, Gone),
)
async def create_share(
    issuance_id: uuid.UUID, body: ShareIn, session: DbSession, principal: Requester,
    shares: SharesDep,
) -> ShareCreated:  # fmt: skip
    """The link and the access code are answered this once."""
    made = await shares.create(
        session, principal, issuance_id, recipient=body.recipient, days=body.expires_in_days
    )
    return ShareCreated(
        share_id=made.share.share_id,
        url=shares.url(made.token),
        access_code=made.access_code,
        expires_at=made.share.expires_at,
        recipient=made.share.recipient,
    )


@router.get(
    "/v1/issuances/{issuance_id}/shares",
    response_model=SharesOut,
    responses=problem_responses(NotFound),
)
async def list_shares(
    issuance_id: uuid.UUID, session: DbSession, principal: Requester, shares: SharesDep, now: Now
) -> SharesOut:
    found = await shares.of_issuance(session, principal, issuance_id)
    return SharesOut(items=[share_out(s, now) for s in found])


@router.delete(
    "/v1/issuances/{issuance_id}/shares/{share_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(NotFound),
)
async def revoke_share(
    issuance_id: uuid.UUID, share_id: uuid.UUID, session: DbSession, principal: Requester,
    shares: SharesDep,
) -> Response:  # fmt: skip
    await shares.revoke(session, principal, issuance_id, share_id)
    return Response(status_code=204)


@router.post(
    "/v1/shares/{token}/document",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {}}},
        **problem_responses(NotFound, WrongAccessCode, ShareGone, RateLimited),
    },
)
async def shared_document(
    token: str, body: ShareDocumentIn, request: Request, session: DbSession, shares: SharesDep
) -> StreamingResponse:
    """For the recipient, without a token of ours: the link's token and the access code. 404
    for an unknown link, 410 revoked or expired (`reason` says which), 403 a wrong code, 429
    (Retry-After) too many wrong codes for this share or from this address."""
    address = request.client.host if request.client else "unknown"
    issuance, content = await shares.download(session, token, body.access_code, address=address)
    return StreamingResponse(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issuance.issuance_number}.pdf"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
