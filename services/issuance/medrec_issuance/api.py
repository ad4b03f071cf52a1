"""Certified copies: requests, downloads, and the public authenticity check."""

import asyncio
import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from medrec_issuance.deps import DbSession, OutboxDep, Requester, Settings
from medrec_issuance.documents import verify_pdf
from medrec_issuance.models import Issuance
from medrec_issuance.ports import CatalogPort, IdentityPort, mask_name
from medrec_issuance.repositories import IssuanceRepository
from medrec_shared.audit import access_event
from medrec_shared.auth import bearer_token
from medrec_shared.events import IssuanceRequested
from medrec_shared.ids import new_id
from medrec_shared.problems import Gone, NotFound, Problem, Unauthorized, ValidationFailed
from medrec_shared.vault import Vault
from medrec_shared.web import Now

router = APIRouter()
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


class IssuanceIn(BaseModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    purpose: str | None = Field(default=None, max_length=200)


class IssuanceOut(BaseModel):
    issuance_id: uuid.UUID
    status: str
    issuance_number: str
    verification_code: str
    record_count: int
    pages: int | None
    sha256: str | None
    created_at: datetime
    expires_at: datetime | None


class NotReady(Problem):
    status, type, title = 409, "not-ready", "The copy is not ready yet"


def issuance_out(issuance: Issuance) -> IssuanceOut:
    return IssuanceOut(
        issuance_id=issuance.issuance_id,
        status=issuance.status,
        issuance_number=issuance.issuance_number,
        verification_code=issuance.verification_code,
        record_count=len(issuance.record_ids),
        pages=issuance.pages,
        sha256=issuance.sha256,
        created_at=issuance.created_at,
        expires_at=issuance.expires_at,
    )


def new_number(now: datetime) -> str:
    return f"MR-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


@router.post("/v1/issuances", status_code=202, response_model=IssuanceOut, tags=["issuances"])
async def request_copy(
    body: IssuanceIn,
    request: Request,
    session: DbSession,
    principal: Requester,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> IssuanceOut:
    if principal.person_key is None:
        raise Unauthorized("A citizen token is required.")
    catalog: CatalogPort = request.app.state.catalog
    record_ids = list(dict.fromkeys(body.record_ids))
    for record_id in record_ids:
        record = await catalog.record(record_id)
        # Another person's record is indistinguishable from one that does not exist.
        if record is None or record.get("person_key") != principal.person_key:
            raise NotFound(f"No record {record_id} among yours.")
    identity: IdentityPort = request.app.state.identity
    name = await identity.subject_name(bearer_token(request))
    issuance = Issuance(
        issuance_id=new_id(),
        requester_subject=principal.subject,
        requester_actor=principal.actor,
        subject_person_key=principal.person_key,
        subject_name_masked=mask_name(name),
        record_ids=record_ids,
        purpose=body.purpose,
        status="pending",
        issuance_number=new_number(now),
        verification_code=new_code(),
        institutions=[],
        created_at=now,
    )
    await IssuanceRepository(session).add(issuance)
    await outbox.add(
        session,
        settings.topic_issuance,
        issuance.issuance_id,
        IssuanceRequested(issuance_id=issuance.issuance_id, record_count=len(record_ids)),
    )
    await outbox.add(
        session,
        settings.topic_audit,
        principal.person_key,
        access_event(principal, "issuance_request", "issuance", str(issuance.issuance_id)),
    )
    return issuance_out(issuance)


@router.get("/v1/issuances", tags=["issuances"])
async def list_copies(
    session: DbSession,
    principal: Requester,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> dict[str, Any]:
    rows = await IssuanceRepository(session).list_for(principal, limit + 1, cursor)
    page = rows[:limit]
    return {
        "items": [issuance_out(i) for i in page],
        "next_cursor": str(page[-1].issuance_id) if len(rows) > limit else None,
    }


@router.get("/v1/issuances/{issuance_id}", response_model=IssuanceOut, tags=["issuances"])
async def get_copy(issuance_id: uuid.UUID, session: DbSession, principal: Requester) -> IssuanceOut:
    issuance = await IssuanceRepository(session).get_for(issuance_id, principal)
    if issuance is None:
        raise NotFound("No such issuance.")
    return issuance_out(issuance)


@router.get(
    "/v1/issuances/{issuance_id}/document",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}},
    tags=["issuances"],
)
async def download_copy(
    issuance_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Requester,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> StreamingResponse:
    issuance = await IssuanceRepository(session).get_for(issuance_id, principal)
    if issuance is None:
        raise NotFound("No such issuance.")
    if issuance.status != "ready":
        raise NotReady(f"The copy is {issuance.status}.")
    assert issuance.expires_at and issuance.object_key and issuance.kek_id and issuance.wrapped_dek
    if issuance.expires_at < now:
        raise Gone("The copy has expired; request a new one.")
    await outbox.add(
        session,
        settings.topic_audit,
        issuance.subject_person_key,
        access_event(principal, "download", "issuance", str(issuance.issuance_id)),
    )
    vault: Vault = request.app.state.vault
    return StreamingResponse(
        vault.get(issuance.object_key, issuance.kek_id, issuance.wrapped_dek),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issuance.issuance_number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


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
        or issuance.status != "ready"
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
    max_size = 100 * 1024 * 1024
    digest = hashlib.sha256()
    data = bytearray()
    while chunk := await file.read(1024 * 1024):
        digest.update(chunk)
        data.extend(chunk)
        if len(data) > max_size:
            raise ValidationFailed(errors=[{"field": "file", "message": "larger than 100 MiB"}])
    issuance = await IssuanceRepository(session).by_sha256(digest.hexdigest())
    if issuance is None or issuance.status != "ready":
        return VerifyOut(valid=False)
    check = await asyncio.to_thread(verify_pdf, bytes(data), request.app.state.issuer_cert)
    return VerifyOut(valid=check.intact and check.valid, issuance_number=issuance.issuance_number)
