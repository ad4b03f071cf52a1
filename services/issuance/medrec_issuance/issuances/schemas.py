import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from medrec_issuance.issuances.documents import DocumentPlan, Selection
from medrec_issuance.models import CopyStatus, Issuance
from medrec_shared.rules.documents import DocumentType, Period, document_label


class IssuanceIn(BaseModel):
    document_type: DocumentType = Field(
        default=DocumentType.record_copy,
        description="What is issued: record_copy (the records themselves) or a document made "
        "from their entries.",
    )
    record_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The records, the subject's own. record_copy needs them; the other types "
        "take them or institution_code.",
    )
    institution_code: str | None = Field(
        default=None,
        pattern=r"^\d{8}$",
        description="The subject's records at this institution (not for record_copy).",
    )
    period: Period | None = Field(
        default=None,
        description="Only what falls in these days, both included (not for record_copy).",
    )
    include_diagnoses: bool = Field(
        default=False,
        description="Print diagnoses (name and KCD): treatment_confirmation and "
        "admission_confirmation only.",
    )
    purpose: str | None = Field(default=None, max_length=200)

    def selection(self) -> Selection:
        return Selection(
            document_type=self.document_type,
            record_ids=self.record_ids,
            institution_code=self.institution_code,
            period=self.period,
            include_diagnoses=self.include_diagnoses,
        )


class IssuanceOut(BaseModel):
    issuance_id: uuid.UUID
    status: CopyStatus = Field(
        description="pending (also while it renders), ready, expired (a ready copy from its "
        "expires_at on: the copy expires at that instant), failed or purged."
    )
    failure_reason: str | None = Field(
        default=None,
        description="Why a failed copy could not be produced, or why a purged one was destroyed, "
        "in words for the citizen (for instance a record beyond what one copy holds); nothing "
        "about the records' content.",
    )
    issuance_number: str
    verification_code: str
    record_count: int
    pages: int | None
    sha256: str | None
    created_at: datetime
    expires_at: datetime | None
    document_type: str
    document_label: str = Field(description="The document's Korean title (서류 종류).")
    institution_code: str | None
    period: Period | None
    include_diagnoses: bool


def issuance_out(issuance: Issuance, now: datetime) -> IssuanceOut:
    """The issuance as its requester reads it at `now` (expiry is decided here, by issuance)."""
    return IssuanceOut(
        issuance_id=issuance.issuance_id,
        status=issuance.status_at(now),
        failure_reason=issuance.failure_reason,
        issuance_number=issuance.issuance_number,
        verification_code=issuance.verification_code,
        record_count=len(issuance.record_ids),
        pages=issuance.pages,
        sha256=issuance.sha256,
        created_at=issuance.created_at,
        expires_at=issuance.expires_at,
        document_type=issuance.document_type,
        document_label=document_label(issuance.document_type),
        institution_code=issuance.institution_code,
        period=period_of(issuance),
        include_diagnoses=issuance.include_diagnoses,
    )


def period_of(issuance: Issuance) -> Period | None:
    if issuance.period_from is None or issuance.period_to is None:
        return None
    return Period(start=issuance.period_from, end=issuance.period_to)


class StayOut(BaseModel):
    admitted_on: date
    discharged_on: date | None


class BillOut(BaseModel):
    number: str
    issued_on: date
    visit: str
    period: Period
    total: int
    patient_total: int


class PaymentOut(BaseModel):
    paid_on: date
    amount: int


class DocumentPreview(BaseModel):
    """What a document will hold, before it is asked for: dates, amounts and counts, never a
    diagnosis or a note. Entries not of the document's type are empty."""

    document_type: DocumentType
    document_label: str
    institutions: list[str]
    period: Period | None
    include_diagnoses: bool
    records: int
    visits: list[date]
    stays: list[StayOut]
    bills: list[BillOut]
    payments: list[PaymentOut]
    payments_total: int
    prescriptions: int
    diagnoses_included: bool


def document_preview(plan: DocumentPlan) -> DocumentPreview:
    selection = plan.selection
    return DocumentPreview(
        document_type=selection.document_type,
        document_label=document_label(selection.document_type),
        institutions=plan.institutions,
        period=selection.period,
        include_diagnoses=selection.include_diagnoses,
        records=len(plan.record_ids),
        visits=plan.visits,
        stays=[
            StayOut(admitted_on=s.admitted_on, discharged_on=s.discharged_on) for s in plan.stays
        ],
        bills=[
            BillOut(
                number=b.number,
                issued_on=b.issued_on,
                visit=b.visit,
                period=Period(start=b.period_from, end=b.period_to),
                total=b.total,
                patient_total=b.patient_total,
            )
            for b in plan.bills
        ],
        payments=[PaymentOut(paid_on=p.paid_on, amount=p.amount) for p in plan.payments],
        payments_total=plan.payments_total,
        prescriptions=plan.prescriptions,
        diagnoses_included=plan.diagnoses_included,
    )
