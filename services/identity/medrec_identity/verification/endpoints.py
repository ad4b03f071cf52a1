"""`POST /v1/verifications` and `POST /v1/verifications/{id}/confirm`: a citizen proves who they
are through the configured provider and gets a short-lived citizen token. The rules (limits,
expiry, tries, what a provider must assert) are `verification.service`; this parses, calls and
answers."""

import uuid

from fastapi import APIRouter, Request, Response

from medrec_identity.clients.oauth import NO_STORE
from medrec_identity.deps import Session, VerificationsDep, client_address
from medrec_identity.verification.port import Proof, ProviderError, ProviderUnavailable
from medrec_identity.verification.schemas import (
    CitizenToken,
    ConfirmIn,
    VerificationIn,
    VerificationStarted,
)
from medrec_identity.verification.service import VerificationLocked
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.ratelimit import RateLimited

router = APIRouter(tags=["verification"])


@router.post(
    "/v1/verifications",
    status_code=201,
    response_model=VerificationStarted,
    response_model_exclude_none=True,
    responses=problem_responses(RateLimited, ProviderError, ProviderUnavailable),
)
async def start_verification(
    body: VerificationIn, request: Request, session: Session, verifications: VerificationsDep
) -> VerificationStarted:
    return await verifications.start(session, body, address=client_address(request))


@router.post(
    "/v1/verifications/{verification_id}/confirm",
    response_model=CitizenToken,
    responses=problem_responses(VerificationLocked, ProviderError, ProviderUnavailable),
)
async def confirm_verification(
    verification_id: uuid.UUID,
    body: ConfirmIn,
    response: Response,
    session: Session,
    verifications: VerificationsDep,
) -> CitizenToken:
    minted = await verifications.confirm(
        session, verification_id, Proof(code=body.code, state=body.state)
    )
    response.headers.update(NO_STORE)
    return minted
