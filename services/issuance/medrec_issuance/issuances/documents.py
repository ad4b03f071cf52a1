"""What a document made from the records' entries will hold (its plan): ingest's document facts
of the selected records, filtered with the period rules of `medrec_shared.rules.documents`, the
same rules the render child draws with. A document the API accepts therefore has something to
show; one with nothing to show is refused here, with the reason the citizen reads, before
anything is stored or rendered.

Free of I/O: the service (`issuances.service`) gathers the records and their facts, and asks
here what they make."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from medrec_shared.platform.problems import Problem, ValidationFailed
from medrec_shared.rules import documents
from medrec_shared.rules.contracts import BillFact, DocumentFacts, PaymentFact, StayFact
from medrec_shared.rules.documents import (
    CITIZEN_DOCUMENTS,
    DIAGNOSES_ON_REQUEST,
    DocumentType,
    Period,
    bill_in,
    payment_in,
    prescription_in,
    stay_in,
    visit_in,
)


class NothingToShow(Problem):
    """The records hold nothing for the document asked for: `detail` says so in Korean."""

    status, type, title = 422, "nothing-to-show", "The document would have nothing to show"


def nothing_to_show(document_type: DocumentType, period: Period | None) -> NothingToShow:
    # The reason is the shared one: the render child's backstop refuses in the same words.
    return NothingToShow(documents.nothing_to_show(document_type, period))


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What a citizen asks for: the document, and the records it is made from (named, or the
    subject's records at an institution), within a period when one is given."""

    document_type: DocumentType = DocumentType.record_copy
    record_ids: list[uuid.UUID] | None = None
    institution_code: str | None = None
    period: Period | None = None
    include_diagnoses: bool = False


def require_valid_selection(selection: Selection) -> None:
    """The combinations the fields' own types cannot refuse, each named by its field (422)."""
    errors: list[dict[str, str]] = []
    kind = selection.document_type
    if kind not in CITIZEN_DOCUMENTS:  # the 이관확인서 is issued to the depositor, on completion
        raise ValidationFailed(
            errors=[{"field": "document_type", "message": "is not issued on request"}]
        )
    if kind == DocumentType.record_copy:
        if not selection.record_ids:
            errors.append({"field": "record_ids", "message": "record_copy needs record_ids"})
        for name in ("institution_code", "period"):
            if getattr(selection, name) is not None:
                errors.append({"field": name, "message": "record_copy takes record_ids only"})
    elif (selection.record_ids is None) == (selection.institution_code is None):
        errors.append(
            {"field": "record_ids", "message": "give either record_ids or institution_code"}
        )
    if selection.include_diagnoses and kind not in DIAGNOSES_ON_REQUEST:
        errors.append(
            {
                "field": "include_diagnoses",
                "message": "only treatment_confirmation and admission_confirmation print diagnoses",
            }
        )
    if errors:
        raise ValidationFailed(errors=errors)


@dataclass(frozen=True, kw_only=True)
class DocumentPlan:
    """What the document will hold: the records it draws on (those with something in the
    period, in the order given), their institutions, and the entries by kind (those not of the
    document's type stay empty)."""

    selection: Selection
    record_ids: list[uuid.UUID]
    institutions: list[str]
    visits: list[date] = field(default_factory=list)
    stays: list[StayFact] = field(default_factory=list)
    bills: list[BillFact] = field(default_factory=list)
    payments: list[PaymentFact] = field(default_factory=list)
    prescriptions: int = 0
    diagnoses_included: bool = False

    @property
    def payments_total(self) -> int:
        return sum(p.amount for p in self.payments)


@dataclass
class _Entries:
    visits: list[date] = field(default_factory=list)
    stays: list[StayFact] = field(default_factory=list)
    bills: list[BillFact] = field(default_factory=list)
    payments: list[PaymentFact] = field(default_factory=list)
    prescriptions: int = 0

    def any(self) -> bool:
        return bool(self.visits or self.stays or self.bills or self.payments or self.prescriptions)


def _entries(kind: DocumentType, facts: DocumentFacts, period: Period | None) -> _Entries:
    """One record's entries for the document, in the period."""
    found = _Entries()
    if kind == DocumentType.treatment_confirmation:
        found.visits = [d for d in facts.visit_dates if visit_in(d, period)]
    elif kind == DocumentType.admission_confirmation:
        found.stays = [
            s for s in facts.admissions if stay_in(s.admitted_on, s.discharged_on, period)
        ]
    elif kind in (DocumentType.receipt, DocumentType.itemised_bill):
        found.bills = [b for b in facts.bills if bill_in(b.period_from, b.period_to, period)]
    elif kind == DocumentType.payment_confirmation:
        found.payments = [p for p in facts.payments if payment_in(p.paid_on, period)]
    elif kind == DocumentType.prescription:
        found.prescriptions = sum(prescription_in(d, period) for d in facts.prescription_dates)
    return found


def plan_document(
    selection: Selection,
    record_ids: Sequence[uuid.UUID],
    facts: Sequence[DocumentFacts],
    institutions: Mapping[uuid.UUID, str],
) -> DocumentPlan:
    """The plan of a document made from `record_ids` (in that order), given their `facts`
    (records without facts, not structured, hold nothing) and each one's institution name;
    `NothingToShow` when no record holds anything for it."""
    kind = selection.document_type
    assert kind != DocumentType.record_copy, "a copy is of the records themselves"
    by_id = {f.record_id: f for f in facts}
    drawn: list[uuid.UUID] = []
    total = _Entries()
    diagnoses = False
    for record_id in record_ids:
        record_facts = by_id.get(record_id)
        if record_facts is None:
            continue
        found = _entries(kind, record_facts, selection.period)
        if not found.any():
            continue
        drawn.append(record_id)
        total.visits += found.visits
        total.stays += found.stays
        total.bills += found.bills
        total.payments += found.payments
        total.prescriptions += found.prescriptions
        diagnoses = diagnoses or record_facts.has_diagnoses
    if not drawn:
        raise nothing_to_show(kind, selection.period)
    return DocumentPlan(
        selection=selection,
        record_ids=drawn,
        institutions=list(dict.fromkeys(institutions[r] for r in drawn)),
        visits=sorted(set(total.visits)),
        stays=sorted(total.stays, key=lambda s: s.admitted_on),
        bills=sorted(total.bills, key=lambda b: (b.issued_on, b.number)),
        payments=sorted(total.payments, key=lambda p: p.paid_on),
        prescriptions=total.prescriptions,
        diagnoses_included=selection.include_diagnoses and diagnoses,
    )
