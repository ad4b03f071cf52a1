"""The public authenticity check (진위확인): by number and code, or by uploading the PDF. It
reveals nothing about the person."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from medrec_issuance.deps import DbSession, RateLimiterDep, Settings
from medrec_issuance.verify import service
from medrec_issuance.verify.schemas import VerifyOut
from medrec_issuance.verify.upload import file_sha256
from medrec_shared.platform.crypto import blind_index
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.ratelimit import Limit, RateLimited


async def limit_per_client(request: Request, settings: Settings, limiter: RateLimiterDep) -> None:
    """At most N checks per client address per window, counted across replicas."""
    address = request.client.host if request.client else "unknown"
    key = blind_index(settings.person_index_key.get_secret_value().encode(), f"client:{address}")
    limit = Limit(
        "verify.client",
        key,
        settings.verify_limit_per_client,
        timedelta(seconds=settings.verify_limit_window_seconds),
    )
    await limiter.hit(limit)


router = APIRouter(
    tags=["verify"],
    dependencies=[Depends(limit_per_client)],
    responses=problem_responses(RateLimited),
)
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}


@router.get(
    "/v1/verify", response_model=VerifyOut, response_model_exclude_none=True, tags=["verify"]
)
async def verify_by_number(
    session: DbSession,
    number: Annotated[str, Query(min_length=1, max_length=32)],
    code: Annotated[str, Query(min_length=1, max_length=16)],
) -> VerifyOut:
    return await service.check_by_number(session, number, code)


@router.post(
    "/v1/verify",
    response_model=VerifyOut,
    response_model_exclude_none=True,
    tags=["verify"],
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={413: {"description": "larger than any copy issued"}},
)
async def verify_by_upload(request: Request, session: DbSession, settings: Settings) -> VerifyOut:
    """The body is read by `verify.upload` as it arrives (never kept), capped at the largest
    copy the service issues (`copy_max_bytes`)."""
    sha256 = await file_sha256(
        request.headers.get("content-type", ""), request.stream(), settings.copy_max_bytes
    )
    return await service.check_upload(session, sha256)
