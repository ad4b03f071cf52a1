"""What a structured record holds for the documents made from it (``DocumentFacts``): dates and
amounts only, never names, diagnoses' text or notes. Issuance asks ingest for these to say what a
document will hold, or to refuse it, without reading any clinical content itself.

Amounts are the bill's own when it states them, else computed from its lines (the schema has
already checked that both agree when both are there).
"""

from __future__ import annotations

import uuid

from medrec_shared.rules.clinical.records import (
    DentalRecord,
    MedicalRecord,
    StructuredRecordModel,
)
from medrec_shared.rules.contracts import BillFact, DocumentFacts, PaymentFact, StayFact


def document_facts(record_id: uuid.UUID, document: StructuredRecordModel) -> DocumentFacts:
    bills = document.bills
    # 처방전 (의료법 시행규칙 별지 제9호) is made from drug prescriptions: 의과 and 치과 records.
    prescriptions = (
        document.prescriptions if isinstance(document, MedicalRecord | DentalRecord) else []
    )
    return DocumentFacts(
        record_id=record_id,
        schema_version=document.schema_version,
        specialty=document.specialty,
        visit_dates=sorted({encounter.date for encounter in document.encounters}),
        admissions=[
            StayFact(admitted_on=stay.admitted_on, discharged_on=stay.discharged_on)
            for stay in sorted(document.admissions, key=lambda stay: stay.admitted_on)
        ],
        bills=[
            BillFact(
                number=bill.number,
                issued_on=bill.issued_on,
                visit=bill.visit.value,
                period_from=bill.period.start,
                period_to=bill.period.end,
                korean_medicine=bill.is_korean_medicine(document.specialty),
                total=bill.computed_total() if bill.total is None else bill.total,
                patient_total=(
                    bill.computed_patient_total()
                    if bill.patient_total is None
                    else bill.patient_total
                ),
            )
            for bill in bills
        ],
        payments=[
            PaymentFact(bill_number=bill.number, paid_on=payment.paid_on, amount=payment.amount)
            for bill in bills
            for payment in bill.payments
        ],
        prescription_dates=[prescription.date for prescription in prescriptions],
        has_diagnoses=bool(document.diagnoses),
    )
