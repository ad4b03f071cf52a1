"""The answers of identity, catalog, ingest and issuance as the console reads them (each the
serving route's response model, field for field, or CONTRACT27.md where the route is new).
Statuses are plain strings: the pages show them through `medrec_console.messages`, an unknown
one as it came. Unknown fields are ignored, so an API adding one breaks no page."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from medrec_shared.platform.pages import Page


# identity: staff sign-in (POST /v1/staff/sessions, /v1/staff/password, …/refresh)
class StaffOut(BaseModel):
    account_id: str
    login: str
    name: str
    organisation: str
    roles: list[str]
    region: str | None = None


class SignedIn(BaseModel):
    status: Literal["signed_in"] = "signed_in"
    session_token: str
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    session_expires_at: datetime
    staff: StaffOut


class PasswordChangeRequired(BaseModel):
    status: Literal["password_change_required"] = "password_change_required"
    change_token: str
    expires_in: int


SignInAnswer = SignedIn | PasswordChangeRequired


class SignInResult(BaseModel):
    """`POST /v1/staff/sessions`' two successful answers, told apart by `status`."""

    answer: SignInAnswer = Field(discriminator="status")


class OidcStarted(BaseModel):
    authorization_url: str
    state: str


class Refreshed(BaseModel):
    access_token: str
    expires_in: int
    session_expires_at: datetime


# catalog: 현황 (GET /v1/admin/stats; fields added freely by catalog)
class Stats(BaseModel):
    institutions: int = 0
    records: int = 0
    persons: int = 0
    destroyed: int = 0
    unmatched_records: int = 0
    pending_candidates: int = 0
    issuances: int | None = None
    issuances_this_month: int | None = None
    linkage_pending: int | None = None


class Queue(BaseModel):
    """How many wait for a decision in one review queue (shown on 현황)."""

    label: str
    count: int
    path: str


# catalog: linkage candidates (medrec_catalog.linkage.schemas)
class InstitutionRef(BaseModel):
    code: str
    name: str | None = None


class Candidate(BaseModel):
    candidate_id: uuid.UUID
    record_id: uuid.UUID
    person_id: uuid.UUID
    institution: InstitutionRef
    kind: str | None = None
    specialty: str | None = None
    service_start: date | None = None
    service_end: date | None = None
    matched_on: str
    status: str  # pending | approved | rejected | closed | unlinked
    created_at: datetime
    decided_at: datetime | None = None
    # The two-person review (CONTRACT27.md): who proposed the approval, and when.
    proposed_by: str | None = None
    proposed_at: datetime | None = None
    decided_by: str | None = None


class Demographics(BaseModel):
    name: str
    birth_date: date
    sex: str


class CandidateDetail(Candidate):
    record_demographics: Demographics | None = None
    person_demographics: Demographics | None = None
    reason: str | None = None


class Candidates(Page[Candidate]):
    """A page of candidates, oldest first."""


# issuance: Art. 21 requests (medrec_issuance.proxies.schemas)
class DocumentFacts(BaseModel):
    kind: str
    content_type: str
    size: int
    sha256: str | None = None


class ProxyRequestReviewed(BaseModel):
    """A review's answer: an approval proposed (still "submitted", `proposed_by` set),
    confirmed ("approved", the copy issued), or a rejection."""

    request_id: uuid.UUID
    status: str  # submitted | approved | rejected
    relation: str
    reason: str | None = None
    issuance_id: uuid.UUID | None = None
    outcome: str | None = None
    # The two-person review: the first reviewer's approval, awaiting a second's; who decided.
    proposed_by: str | None = None
    proposed_at: datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class ProxyRequestForReview(ProxyRequestReviewed):
    institution_code: str | None = None
    created_at: datetime
    documents: list[DocumentFacts] = []


class PatientAsTyped(BaseModel):
    name: str
    rrn: str  # YYMMDD-G****** (masked by issuance)
    birth_date: date
    sex: str


class HeldName(BaseModel):
    held_by: str = "ingest"
    name: str
    records: int
    matches: bool


class ProxyRequestDetail(ProxyRequestForReview):
    patient: PatientAsTyped
    held_names: list[HeldName] = []
    name_matches: bool


class ProxyRequests(Page[ProxyRequestForReview]):
    """A page of requests, oldest first."""
