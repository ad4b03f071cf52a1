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


# ingest: 이관 (GET /v1/admin/transfers[/{id}], POST /v1/transfers/{id}/release)
class TransferInstitution(BaseModel):
    code: str
    name: str
    region: str


class TransferCounts(BaseModel):
    received: int = 0
    stored: int = 0
    failed: int = 0
    expired_on_arrival: int = 0
    bytes: int = 0


class ReleaseState(BaseModel):
    """Where a transfer's release stands: proposed by one person, or released (confirmed by a
    second). Absent while nobody has proposed it."""

    proposed_by: str | None = None
    proposed_at: datetime | None = None
    reason: str | None = None
    released_by: str | None = None
    released_at: datetime | None = None
    grace_until: datetime | None = None

    @property
    def status(self) -> str:
        """release_proposed (waiting for a second person) or released."""
        return "released" if self.released_at is not None else "release_proposed"


class Difference(BaseModel):
    field: str
    declared: int | str | None = None
    stored: int | str | None = None


class Reconciliation(BaseModel):
    """What the depositor declared against what was stored, at completion (external ids and
    counts, nothing of a patient)."""

    matches: bool
    differences: list[Difference] = []
    missing: list[str] = []
    missing_total: int = 0
    unexpected: list[str] = []
    unexpected_total: int = 0
    digest_mismatch: list[str] = []
    digest_mismatch_total: int = 0
    manifest_sha256: str | None = None


class ReceiptState(BaseModel):
    """A completed transfer's 이관확인서: confirmed by the region's health centre, or not yet."""

    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class Transfer(BaseModel):
    transfer_id: uuid.UUID
    institution: TransferInstitution
    status: str  # open | completed | released
    reason: str  # closure | suspension
    effective_date: date
    counts: TransferCounts
    opened_at: datetime | None = None
    completed_at: datetime | None = None
    release: ReleaseState | None = None
    reconciliation: Reconciliation | None = None
    receipt: ReceiptState | None = None


class TransferProblem(BaseModel):
    """A failed record of a transfer: its external id and the problem's title, nothing of the
    patient."""

    external_id: str | None = None
    title: str
    occurred_at: datetime | None = None


class TransferDetail(Transfer):
    problems: list[TransferProblem] = []


class Transfers(Page[Transfer]):
    """A page of transfers, newest first."""


class ReleaseOutcome(BaseModel):
    """The answer to a release: `release_proposed` (202, the first person) or `released` (200,
    the second)."""

    status: str
    proposed_by: str | None = None


# ingest and catalog: 파기 (GET /v1/admin/destructions; POST …/records/{id}/retention-extension)
class Destruction(BaseModel):
    """One destroyed record: what it was and why it went, never whose it was."""

    record_id: uuid.UUID
    kind: str
    specialty: str
    institution_code: str
    service_start: date | None = None
    service_end: date | None = None
    reason: str
    destroyed_at: datetime


class Destructions(Page[Destruction]):
    """A page of the destruction log, newest first."""


class RetentionExtended(BaseModel):
    record_id: uuid.UUID
    retention_until: date
    retention_extended: bool
    extension_reason: str | None = None
    extended_by: str | None = None


# identity: 기관 연동 (POST and GET /v1/clients, DELETE /v1/clients/{id})
class InstitutionClient(BaseModel):
    client_id: str
    name: str
    institution_codes: list[str] = []
    scopes: list[str] = []
    created_at: datetime | None = None
    registered_by: str | None = None  # the person (or machine account) who registered it


class RegisteredClient(InstitutionClient):
    client_secret: str  # shown once, on the page that registered it


class InstitutionClients(BaseModel):
    items: list[InstitutionClient]


# ingest, catalog and issuance: 장애 이벤트 (GET /v1/admin/dead-letters, POST …/{id}/retry)
class DeadLetter(BaseModel):
    id: int
    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: uuid.UUID | None = None
    event_type: str | None = None
    producer: str | None = None
    attempts: int
    error_type: str
    error: str
    status: str  # parked | retry_requested | retried
    parked_at: datetime
    retry_requested_at: datetime | None = None
    retried_at: datetime | None = None


class DeadLetters(Page[DeadLetter]):
    """A page of one service's parked events, oldest first."""


# catalog: 감사 로그 (GET /v1/admin/audit)
class AuditEntry(BaseModel):
    event_id: str
    occurred_at: datetime
    actor: str
    actor_kind: str | None = None  # staff | machine
    organisation: str | None = None
    roles: list[str] = []
    act: str
    resource_type: str | None = None
    resource_id: str | None = None
    reason: str | None = None


class AuditEntries(Page[AuditEntry]):
    """A page of the trail, newest first."""


# identity: 직원 관리 (/v1/admin/staff)
class StaffAccount(BaseModel):
    account_id: str
    login: str
    name: str
    organisation: str  # "khis" | "hc:<region>"
    roles: list[str]
    region: str | None = None
    status: str = "active"  # active | disabled
    must_change_password: bool = False
    created_at: datetime | None = None
    created_by: str | None = None


class StaffAccounts(Page[StaffAccount]):
    """A page of staff accounts."""


class StaffCreated(BaseModel):
    account: StaffAccount
    password: str  # one-time: changed at the first sign-in
    totp_uri: str  # otpauth://totp/…, for the person's authenticator app


class SecondFactorReset(BaseModel):
    totp_uri: str


class PasswordReset(BaseModel):
    password: str  # one-time: changed at the next sign-in
