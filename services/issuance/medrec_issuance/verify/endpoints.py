"""The public authenticity check (진위확인): by number and code, or by uploading the PDF. It
reveals nothing about the person."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from medrec_issuance.deps import DbSession, Settings
from medrec_issuance.verify import service
from medrec_issuance.verify.schemas import VerifyOut
from medrec_shared.crypto import blind_index
from medrec_shared.problems import ValidationFailed
from medrec_shared.ratelimit import Limit, RateLimiter


async def limit_per_client(request: Request, settings: Settings) -> None:
    """At most N checks per client address per window, counted across replicas."""
    address = request.client.host if request.client else "unknown"
    key = blind_index(settings.person_index_key.get_secret_value().encode(), f"client:{address}")
    limit = Limit(
        "verify.client",
        key,
        settings.verify_limit_per_client,
        timedelta(seconds=settings.verify_limit_window_seconds),
    )
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.hit(limit)


router = APIRouter(tags=["verify"], dependencies=[Depends(limit_per_client)])
MAX_UPLOAD = 100 * 1024 * 1024


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
    "/v1/verify", response_model=VerifyOut, response_model_exclude_none=True, tags=["verify"]
)
async def verify_by_upload(
    request: Request, session: DbSession, file: Annotated[UploadFile, File()]
) -> VerifyOut:
    data = bytearray()
    while chunk := await file.read(1024 * 1024):
        data.extend(chunk)
        if len(data) > MAX_UPLOAD:
            raise ValidationFailed(errors=[{"field": "file", "message": "larger than 100 MiB"}])
    return await service.check_upload(session, bytes(data), request.app.state.issuer_cert)
