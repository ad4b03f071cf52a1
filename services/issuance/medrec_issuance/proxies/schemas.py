import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from medrec_issuance.models import ProxyDocument, ProxyRequest, ProxyRequestStatus, Relation
from medrec_shared.rules.events import REVIEW_REASON_MAX
from medrec_shared.rules.rrn import valid_rrn


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


NOTHING_TO_COPY = (
    "approved, nothing to copy: no record held under this RRN was deposited under the name given"
)
COPY_MADE = "approved: a certified copy of the records held under the name given is made"


class ProxyRequestOut(BaseModel):
    request_id: uuid.UUID
    status: ProxyRequestStatus
    relation: Relation
    reason: str | None = None
    issuance_id: uuid.UUID | None = None
    outcome: str | None = Field(
        default=None,
        description="What an approval did: a copy of the records whose patient name matches "
        "the name given, or nothing to copy when none does",
    )


class OwnProxyRequest(ProxyRequestOut):
    """One of the requester's own requests, as their list shows it: no patient name or RRN
    (the requester typed them; the list does not say them again)."""

    institution_code: str | None = None
    created_at: datetime


class Review(BaseModel):
    # Bounded so that it reaches the patient's access history whole (AccessRecorded.reason).
    reason: str = Field(min_length=1, max_length=REVIEW_REASON_MAX)


class ReviewState(BaseModel):
    """Where the review stands, for reviewers only (the requester sees `submitted` until a
    second reviewer confirms an approval)."""

    proposed_by: str | None = Field(
        default=None, description="The reviewer whose approval awaits another's confirmation"
    )
    proposed_at: datetime | None = None
    reviewed_by: str | None = Field(default=None, description="The reviewer who decided")
    reviewed_at: datetime | None = None


def review_state(request: ProxyRequest) -> ReviewState:
    return ReviewState(
        proposed_by=request.proposed_by,
        proposed_at=request.proposed_at,
        reviewed_by=request.reviewed_by,
        reviewed_at=request.reviewed_at,
    )


class ProxyRequestReviewed(ProxyRequestOut, ReviewState):
    """A review's answer: an approval proposed (still `submitted`, `proposed_by`), confirmed
    (`approved`), or a rejection."""


def reviewed_out(request: ProxyRequest) -> ProxyRequestReviewed:
    return ProxyRequestReviewed(
        **proxy_out(request).model_dump(), **review_state(request).model_dump()
    )


class ProxyRequestForReview(ProxyRequestOut, ReviewState):
    institution_code: str | None
    created_at: datetime
    documents: list[dict[str, Any]]


def outcome_of(request: ProxyRequest) -> str | None:
    """An approval without an issuance matched no record (approving always issues otherwise)."""
    if request.status != ProxyRequestStatus.approved:
        return None
    return COPY_MADE if request.issuance_id else NOTHING_TO_COPY


def proxy_out(request: ProxyRequest) -> ProxyRequestOut:
    return ProxyRequestOut(
        request_id=request.request_id,
        status=request.status,
        relation=request.relation,
        reason=request.reason,
        issuance_id=request.issuance_id,
        outcome=outcome_of(request),
    )


def for_review(request: ProxyRequest, documents: Sequence[ProxyDocument]) -> ProxyRequestForReview:
    """What a reviewer sees in the queue: no patient name or RRN, only the documents' facts."""
    return ProxyRequestForReview(
        **proxy_out(request).model_dump(),
        **review_state(request).model_dump(),
        institution_code=request.institution_code,
        created_at=request.created_at,
        documents=[
            {"kind": d.kind, "content_type": d.content_type, "size": d.size, "sha256": d.sha256}
            for d in documents
        ],
    )


class PatientAsTyped(BaseModel):
    """The patient as the requester typed them: the RRN masked after its seventh digit, and
    the birth date and sex it gives."""

    name: str
    rrn: str = Field(description="YYMMDD-G******")
    birth_date: date
    sex: str = Field(description="male or female, from the RRN's seventh digit")


class HeldName(BaseModel):
    """A name the patient's records were deposited under, compared with the typed one as
    linkage compares names (medrec_shared.rules.linkage.normalise_name)."""

    held_by: Literal["ingest"] = "ingest"
    name: str
    records: int
    matches: bool


class ProxyRequestDetail(ProxyRequestForReview):
    """One request as its reviewer reads it (an audited read): the patient as typed beside the
    documents, and the names held for that RRN. Only records under a matching name are copied."""

    patient: PatientAsTyped
    held_names: list[HeldName]
    name_matches: bool = Field(description="whether any record is held under the name given")


def own_out(request: ProxyRequest) -> OwnProxyRequest:
    return OwnProxyRequest(
        **proxy_out(request).model_dump(),
        institution_code=request.institution_code,
        created_at=request.created_at,
    )
