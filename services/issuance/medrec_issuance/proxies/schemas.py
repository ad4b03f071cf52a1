import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from medrec_issuance.models import ProxyDocument, ProxyRequest, ProxyRequestStatus, Relation
from medrec_shared.events import REVIEW_REASON_MAX
from medrec_shared.rrn import valid_rrn


class PatientIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(description="YYMMDD-GNNNNNN")

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str) -> str:
        return valid_rrn(value)


class ProxyRequestIn(BaseModel):
    patient: PatientIn
    relation: Relation
    institution_code: str | None = Field(default=None, pattern=r"^\d{8}$")


class ProxyRequestOut(BaseModel):
    request_id: uuid.UUID
    status: ProxyRequestStatus
    relation: Relation
    reason: str | None = None
    issuance_id: uuid.UUID | None = None


class OwnProxyRequest(ProxyRequestOut):
    """One of the requester's own requests, as their list shows it: no patient name or RRN
    (the requester typed them; the list does not say them again)."""

    institution_code: str | None = None
    created_at: datetime


class Review(BaseModel):
    # Bounded so that it reaches the patient's access history whole (AccessRecorded.reason).
    reason: str = Field(min_length=1, max_length=REVIEW_REASON_MAX)


class ProxyRequestForReview(ProxyRequestOut):
    institution_code: str | None
    created_at: datetime
    documents: list[dict[str, Any]]


def proxy_out(request: ProxyRequest) -> ProxyRequestOut:
    return ProxyRequestOut(
        request_id=request.request_id,
        status=request.status,
        relation=request.relation,
        reason=request.reason,
        issuance_id=request.issuance_id,
    )


def for_review(request: ProxyRequest, documents: Sequence[ProxyDocument]) -> ProxyRequestForReview:
    """What an operator sees in the queue: no patient name or RRN, only the documents' facts."""
    return ProxyRequestForReview(
        **proxy_out(request).model_dump(),
        institution_code=request.institution_code,
        created_at=request.created_at,
        documents=[
            {"kind": d.kind, "content_type": d.content_type, "size": d.size, "sha256": d.sha256}
            for d in documents
        ],
    )


def own_out(request: ProxyRequest) -> OwnProxyRequest:
    return OwnProxyRequest(
        **proxy_out(request).model_dump(),
        institution_code=request.institution_code,
        created_at=request.created_at,
    )
