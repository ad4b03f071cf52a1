"""Certified copies: requests and downloads by the person (or their guardian)."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.deps import DbSession, OutboxDep, Requester, Settings
from medrec_issuance.models import Issuance
from medrec_issuance.ports import CatalogPort, IdentityPort, mask_name
from medrec_issuance.repositories import IssuanceRepository
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.audit import access_event
from medrec_shared.auth import bearer_token
from medrec_shared.events import AccessRecorded, IssuanceRequested
from medrec_shared.ids import new_id
from medrec_shared.messaging import Outbox
from medrec_shared.problems import Gone, NotFound, Problem, Unauthorized
from medrec_shared.vault import Vault
from medrec_shared.web import Now

router = APIRouter(tags=["issuances"])
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


@dataclass(frozen=True)
class NewIssuance:
    requester_subject: str
    requester_actor: str | None
    subject_person_key: str
    subject_name: str
    record_ids: list[uuid.UUID]
    purpose: str | None


async def start_issuance(
    session: AsyncSession,
    outbox: Outbox,
    settings: IssuanceSettings,
    new: NewIssuance,
    now: datetime,
    audit: AccessRecorded,
) -> Issuance:
    """Records the request and hands rendering to the worker; the subject's access log learns
    who asked. Used by citizens and guardians, and by operators approving a proxy request."""
    issuance = Issuance(
        issuance_id=new_id(),
        requester_subject=new.requester_subject,
        requester_actor=new.requester_actor,
        subject_person_key=new.subject_person_key,
        subject_name_masked=mask_name(new.subject_name),
        record_ids=new.record_ids,
        purpose=new.purpose,
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
        IssuanceRequested(issuance_id=issuance.issuance_id, record_count=len(new.record_ids)),
    )
    audit = audit.model_copy(update={"resource_id": str(issuance.issuance_id)})
    await outbox.add(session, settings.topic_audit, new.subject_person_key, audit)
    return issuance


def new_number(now: datetime) -> str:
    return f"MR-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


@router.post("/v1/issuances", status_code=202, response_model=IssuanceOut)
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
    issuance = await start_issuance(
        session,
        outbox,
        settings,
        NewIssuance(
            requester_subject=principal.subject,
            requester_actor=principal.actor,
            subject_person_key=principal.person_key,
            subject_name=name,
            record_ids=record_ids,
            purpose=body.purpose,
        ),
        now,
        access_event(principal, "issuance_request", "issuance", "pending"),
    )
    return issuance_out(issuance)


@router.get("/v1/issuances")
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


@router.get("/v1/issuances/{issuance_id}", response_model=IssuanceOut)
async def get_copy(issuance_id: uuid.UUID, session: DbSession, principal: Requester) -> IssuanceOut:
    issuance = await IssuanceRepository(session).get_for(issuance_id, principal)
    if issuance is None:
        raise NotFound("No such issuance.")
    return issuance_out(issuance)


@router.get(
    "/v1/issuances/{issuance_id}/document",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}},
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
    if issuance.status == "purged":
        raise Gone(
            "A record in this copy reached the end of its retention period and was "
            "destroyed with it."
        )
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
