"""document_facts: the dates and amounts a structured record holds for the documents, and
nothing else."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from medrec_shared.rules.clinical import document_facts, parse_structured_record
from tests.support.bills import ADMISSION, DISCHARGE, KM_BILL, OUTPATIENT, record_bytes

RECORD_ID = uuid.UUID("00000000-0000-4000-8000-000000000028")
D = dt.date.fromisoformat


def test_v2_medical_facts() -> None:
    document = parse_structured_record(
        record_bytes(
            "medical",
            encounters=[{"date": "2024-06-10"}, {"date": "2024-03-02"}, {"date": "2024-03-02"}],
            diagnoses=[{"code": "J06.9", "name": "급성 상기도감염"}],
            prescriptions=[
                {"drug_name": "A", "dose": "1", "unit": "정", "frequency_per_day": 3, "days": 3,
                 "date": "2024-03-02"},
                {"drug_name": "B", "dose": "1", "unit": "정", "frequency_per_day": 1, "days": 1},
            ],
            admissions=[ADMISSION, {"admitted_on": "2024-01-02"}],
            bills=[OUTPATIENT, DISCHARGE],
        )
    )  # fmt: skip
    facts = document_facts(RECORD_ID, document)
    assert facts.record_id == RECORD_ID
    assert (facts.schema_version, facts.specialty) == ("2", "medical")
    assert facts.visit_dates == [D("2024-03-02"), D("2024-06-10")]
    assert [(s.admitted_on, s.discharged_on) for s in facts.admissions] == [
        (D("2024-01-02"), None),
        (D("2024-06-10"), D("2024-06-14")),
    ]
    out, inpatient = facts.bills
    assert (out.number, out.visit, out.total, out.patient_total) == (
        "O-2024-0302-017", "outpatient", 42_340, 28_653,
    )  # fmt: skip
    assert (out.period_from, out.period_to, out.korean_medicine) == (
        D("2024-03-02"), D("2024-03-02"), False,
    )  # fmt: skip
    # No stated totals: computed from the lines.
    assert (inpatient.visit, inpatient.total, inpatient.patient_total) == (
        "inpatient", 470_000, 300_000,
    )  # fmt: skip
    assert [(p.bill_number, p.paid_on, p.amount) for p in facts.payments] == [
        ("O-2024-0302-017", D("2024-03-02"), 10_000),
        ("O-2024-0302-017", D("2024-03-05"), 18_653),
        ("I-2024-0614-003", D("2024-06-14"), 300_000),
    ]
    assert facts.prescription_dates == [D("2024-03-02"), None]
    assert facts.has_diagnoses


def test_korean_medicine_bill_is_form_8() -> None:
    document = parse_structured_record(record_bytes("korean_medicine", bills=[KM_BILL]))
    facts = document_facts(RECORD_ID, document)
    assert [b.korean_medicine for b in facts.bills] == [True]
    assert facts.prescription_dates == [] and not facts.has_diagnoses


def test_v1_has_visits_and_no_bills() -> None:
    v1 = {"schema_version": "1", "specialty": "dental", "encounters": [{"date": "2023-05-10"}]}
    facts = document_facts(RECORD_ID, parse_structured_record(json.dumps(v1).encode()))
    assert facts.schema_version == "1"
    assert facts.visit_dates == [D("2023-05-10")]
    assert facts.admissions == facts.bills == facts.payments == []


def test_only_dates_and_amounts() -> None:
    document = parse_structured_record(
        record_bytes(
            "medical",
            encounters=[{"date": "2024-03-02", "chief_complaint": "비밀스러운 증상"}],
            diagnoses=[{"code": "F32.9", "name": "우울 에피소드"}],
            bills=[OUTPATIENT],
        )
    )
    text = document_facts(RECORD_ID, document).model_dump_json()
    for secret in ("비밀", "F32", "우울", "소아청소년과", "CRP", "AA154"):
        assert secret not in text
