"""The public answers of identity, catalog and issuance as the portal reads them (each the
serving route's response model, field for field; the internal answers between services are in
`medrec_shared.rules.contracts`). Statuses are plain strings: the pages show them through
`medrec_portal.messages`, an unknown one as it came."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from medrec_shared.platform.pages import Page
from medrec_shared.rules.contracts import InstitutionRef


# identity
class VerificationStarted(BaseModel):
    verification_id: uuid.UUID
    expires_at: datetime
    sandbox_code: str | None = None
    authorization_url: str | None = None


class CitizenToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = 900
    person_id: uuid.UUID


class Child(BaseModel):
    person_id: uuid.UUID
    name: str
    birth_date: date
    age: int
    eligible: bool
    reason: str | None  # age_limit | not_a_guardian | no_parental_authority


class GuardianToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    scope: str
    person_id: uuid.UUID  # the child


# catalog
class Custody(BaseModel):
    """Who holds a clinic's records, as catalog says it (medrec_shared.rules.custody)."""

    status: str  # held | transferring | founder | health_centre | unknown
    label: str  # 보관 중, 이관 중, 개설자 보관, 보건소 보관, 미확인
    holder: str | None = None
    contact: str | None = None


class Institution(BaseModel):
    code: str
    name: str
    type: str
    region: str
    address: str
    status: str  # closed | suspended | reopened
    closed_on: date
    record_count: int
    custody: Custody


class TransferRequestOut(BaseModel):
    """catalog's answer to an 이관 요청 (POST /v1/me/transfer-requests)."""

    institution_code: str
    asked: bool
    new: bool


class MyTransferRequests(BaseModel):
    institution_codes: list[str]


class RecordGroup(BaseModel):
    """What is held for the subject at one institution in one specialty."""

    institution: InstitutionRef
    specialty: str
    count: int
    first_service: date
    last_service: date


class RecordsSummary(BaseModel):
    groups: list[RecordGroup]


class AccessEntry(BaseModel):
    event_id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str
    acting_for: str | None
    action: str
    resource_type: str
    resource_id: str
    decision: str
    reason: str | None


# issuance
class DatePeriod(BaseModel):
    """`{"from", "to"}` on the wire, both days included."""

    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")


class Issuance(BaseModel):
    issuance_id: uuid.UUID
    status: str  # pending | ready | failed | purged
    failure_reason: str | None = None
    issuance_number: str
    verification_code: str
    record_count: int
    pages: int | None
    sha256: str | None
    created_at: datetime
    expires_at: datetime | None
    document_type: str = "record_copy"
    document_label: str = "진료기록 사본"
    institution_code: str | None = None
    period: DatePeriod | None = None


class Stay(BaseModel):
    admitted_on: date
    discharged_on: date | None = None


class BillShown(BaseModel):
    number: str
    issued_on: date
    visit: str  # outpatient | inpatient
    period: DatePeriod
    total: int
    patient_total: int


class PaymentShown(BaseModel):
    paid_on: date
    amount: int


class DocumentPreview(BaseModel):
    """What a document would hold, as issuance's preview answers it (dates and amounts only);
    the fields not of its type are empty."""

    document_type: str
    document_label: str
    institutions: list[str] = []
    period: DatePeriod | None = None
    include_diagnoses: bool = False
    records: int = 0
    visits: list[date] = []
    stays: list[Stay] = []
    bills: list[BillShown] = []
    payments: list[PaymentShown] = []
    payments_total: int = 0
    prescriptions: int = 0
    diagnoses_included: bool = False


class ProxyRequest(BaseModel):
    request_id: uuid.UUID
    status: str
    relation: str
    reason: str | None = None
    issuance_id: uuid.UUID | None = None
    outcome: str | None = None


class OwnProxyRequest(ProxyRequest):
    institution_code: str | None = None
    created_at: datetime


class OwnProxyRequests(Page[OwnProxyRequest]):
    """A page of the citizen's own requests, newest first."""


class Verification(BaseModel):
    """The public authenticity check's answer: nothing of the person."""

    valid: bool
    issuance_number: str | None = None
    issued_at: datetime | None = None
    institutions: list[str] | None = None
    record_count: int | None = None
    pages: int | None = None
    sha256: str | None = None
    document_type: str | None = None
    document_label: str | None = None  # the document's Korean title (서류 종류)


class ShareCreated(BaseModel):
    """A new share (제출): the link and the access code, answered this once."""

    share_id: uuid.UUID
    url: str
    access_code: str
    expires_at: datetime
    recipient: str


class Share(BaseModel):
    share_id: uuid.UUID
    recipient: str
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    downloads: int
    last_opened_at: datetime | None
    status: str  # active | revoked | expired


class Shares(BaseModel):
    items: list[Share]


class Notice(BaseModel):
    """One notice in 알림함 (catalog's): its label and sentence as catalog words them."""

    notice_id: uuid.UUID
    kind: str
    label: str
    text: str
    created_at: datetime
    read_at: datetime | None = None


class Notices(Page[Notice]):
    unread: int = 0


class NoticePreferences(BaseModel):
    kinds: dict[str, bool]
