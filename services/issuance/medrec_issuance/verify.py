"""The public authenticity check (진위확인): by number and code, or by uploading the PDF. It
reveals nothing about the person."""

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel

from medrec_issuance.deps import DbSession, Settings
from medrec_issuance.documents import verify_pdf
from medrec_issuance.repositories import IssuanceRepository
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


class VerifyOut(BaseModel):
    valid: bool
    issuance_number: str | None = None
    issued_at: datetime | None = None
    institutions: list[str] | None = None
    record_count: int | None = None
    pages: int | None = None
    sha256: str | None = None


@router.get(
    "/v1/verify", response_model=VerifyOut, response_model_exclude_none=True, tags=["verify"]
)
async def verify_by_number(
    session: DbSession,
    number: Annotated[str, Query(min_length=1, max_length=32)],
    code: Annotated[str, Query(min_length=1, max_length=16)],
) -> VerifyOut:
    issuance = await IssuanceRepository(session).by_number(number)
    if (
        issuance is None
        or issuance.status not in ("ready", "purged")  # a purged copy was still issued
        or not secrets.compare_digest(issuance.verification_code, code.strip().upper())
    ):
        return VerifyOut(valid=False)
    return VerifyOut(
        valid=True,
        issuance_number=issuance.issuance_number,
        issued_at=issuance.ready_at,
        institutions=issuance.institutions,
        record_count=len(issuance.record_ids),
        pages=issuance.pages,
        sha256=issuance.sha256,
    )


@router.post(
    "/v1/verify", response_model=VerifyOut, response_model_exclude_none=True, tags=["verify"]
)
async def verify_by_upload(
    request: Request, session: DbSession, file: Annotated[UploadFile, File()]
) -> VerifyOut:
    digest = hashlib.sha256()
    data = bytearray()
    while chunk := await file.read(1024 * 1024):
        digest.update(chunk)
        data.extend(chunk)
        if len(data) > MAX_UPLOAD:
            raise ValidationFailed(errors=[{"field": "file", "message": "larger than 100 MiB"}])
    issuance = await IssuanceRepository(session).by_sha256(digest.hexdigest())
    if issuance is None or issuance.status not in ("ready", "purged"):
        return VerifyOut(valid=False)
    check = await asyncio.to_thread(verify_pdf, bytes(data), request.app.state.issuer_cert)
    return VerifyOut(valid=check.intact and check.valid, issuance_number=issuance.issuance_number)
