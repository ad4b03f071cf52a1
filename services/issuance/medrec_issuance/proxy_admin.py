"""Operators review relatives' and proxies' requests: read the documents, then approve (one
certified copy of the patient's records goes to the requester) or reject, with a reason."""

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from medrec_issuance.deps import DbSession, Operator, OutboxDep, Settings
from medrec_issuance.issuances import NewIssuance, start_issuance
from medrec_issuance.models import ProxyRequest
from medrec_issuance.ports import CatalogPort
from medrec_issuance.proxy import PATIENT_CONTEXT, ProxyRequestOut, proxy_audit, proxy_out
from medrec_issuance.repositories import ProxyRequestRepository
from medrec_shared.auth import Principal
from medrec_shared.crypto import unseal
from medrec_shared.problems import Conflict, NotFound
from medrec_shared.vault import Vault
from medrec_shared.web import Now

router = APIRouter(tags=["proxy requests (operators)"], prefix="/v1/admin/proxy-requests")
DocumentKind = Annotated[
    str, Path(pattern=r"^(consent_form|kinship_certificate|power_of_attorney)$")
]


class Review(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class AlreadyReviewed(Conflict):
    type, title = "already-reviewed", "The request has been reviewed already"


class ProxyRequestForReview(ProxyRequestOut):
    institution_code: str | None
    created_at: datetime
    documents: list[dict[str, Any]]


async def _submitted(session: DbSession, request_id: uuid.UUID) -> ProxyRequest:
    proxy = await ProxyRequestRepository(session).get(request_id, for_update=True)
    if proxy is None:
        raise NotFound("No such request.")
    if proxy.status != "submitted":
        raise AlreadyReviewed(f"It was {proxy.status}.")
    return proxy


def _reviewed(
    proxy: ProxyRequest, status: str, operator: Principal, reason: str, now: datetime
) -> None:
    proxy.status, proxy.reason = status, reason
    proxy.reviewed_by, proxy.reviewed_at = operator.subject, now


@router.get("")
async def list_requests(
    session: DbSession,
    _: Operator,
    status: Annotated[str | None, Query(pattern=r"^(submitted|approved|rejected)$")] = "submitted",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> dict[str, Any]:
    repository = ProxyRequestRepository(session)
    rows = await repository.by_status(status, limit + 1, cursor)
    page = rows[:limit]
    items = []
    for proxy in page:
        documents = await repository.documents(proxy.request_id)
        items.append(
            ProxyRequestForReview(
                **proxy_out(proxy).model_dump(),
                institution_code=proxy.institution_code,
                created_at=proxy.created_at,
                documents=[
                    {
                        "kind": d.kind,
                        "content_type": d.content_type,
                        "size": d.size,
                        "sha256": d.sha256,
                    }
                    for d in documents
                ],
            )
        )
    return {"items": items, "next_cursor": str(page[-1].request_id) if len(rows) > limit else None}


@router.get("/{request_id}/documents/{kind}", response_class=StreamingResponse)
async def read_document(
    request_id: uuid.UUID, kind: DocumentKind, http: Request, session: DbSession, _: Operator
) -> StreamingResponse:
    document = await ProxyRequestRepository(session).document(request_id, kind)
    if document is None:
        raise NotFound("No such document.")
    vault: Vault = http.app.state.vault
    return StreamingResponse(
        vault.get(document.object_key, document.kek_id, document.wrapped_dek),
        media_type=document.content_type,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/{request_id}/approve", response_model=ProxyRequestOut)
async def approve(
    request_id: uuid.UUID,
    review: Review,
    http: Request,
    session: DbSession,
    operator: Operator,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> ProxyRequestOut:
    proxy = await _submitted(session, request_id)
    catalog: CatalogPort = http.app.state.catalog
    records = await catalog.records_of(proxy.patient_person_key, proxy.institution_code)
    if not records:
        raise Conflict("No records are held for this patient; reject the request instead.")
    vault: Vault = http.app.state.vault
    patient = json.loads(unseal(vault.keyring, proxy.patient_sealed, context=PATIENT_CONTEXT))
    issuance = await start_issuance(
        session,
        outbox,
        settings,
        NewIssuance(
            requester_subject=proxy.requester_subject,
            requester_actor=None,
            subject_person_key=proxy.patient_person_key,
            subject_name=patient["name"],
            record_ids=[uuid.UUID(r["record_id"]) for r in records],
            purpose=f"Art. 21 ({proxy.relation})",
        ),
        now,
        proxy_audit(proxy, "issuance_request", "allowed", f"approved: {review.reason}"),
    )
    _reviewed(proxy, "approved", operator, review.reason, now)
    proxy.issuance_id = issuance.issuance_id
    return proxy_out(proxy)


@router.post("/{request_id}/reject", response_model=ProxyRequestOut)
async def reject(
    request_id: uuid.UUID,
    review: Review,
    session: DbSession,
    operator: Operator,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> ProxyRequestOut:
    proxy = await _submitted(session, request_id)
    _reviewed(proxy, "rejected", operator, review.reason, now)
    await outbox.add(
        session,
        settings.topic_audit,
        proxy.patient_person_key,
        proxy_audit(proxy, "issuance_request", "denied", f"rejected: {review.reason}"),
    )
    return proxy_out(proxy)
