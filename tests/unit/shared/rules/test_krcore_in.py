"""A KR Core bundle read as a structured record (rules.clinical.krcore_in): known answers for
each specialty, and the facts the documents are made of."""

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest

from medrec_shared.rules.clinical import document_facts, parse_krcore_record
from medrec_shared.rules.clinical.records import KoreanMedicineRecord, MedicalRecord
from tests.support.krcore import broken, krcore_bundle, resource

DAY = date(2024, 3, 4)


def test_a_medical_bundle_is_read_as_a_structured_record() -> None:
    record = parse_krcore_record(json.dumps(krcore_bundle("medical")).encode(), "medical")
    assert isinstance(record, MedicalRecord)
    assert [(e.date, e.department) for e in record.encounters] == [(DAY, "내과")]
    assert [(d.code, d.name, d.primary, d.date) for d in record.diagnoses] == [
        ("J06.9", "급성 상기도감염", True, DAY)
    ]
    (drug,) = record.prescriptions
    assert (drug.drug_name, drug.drug_code, drug.dose, drug.unit) == (
        "타이레놀정500밀리그램", "643900710", Decimal(1), "정",
    )  # fmt: skip
    assert (drug.frequency_per_day, drug.days, drug.date) == (3, 3, DAY)
    assert [(p.name, p.code, p.date) for p in record.procedures] == [("초진 진찰료", "AA157", DAY)]
    assert [(t.name, t.result, t.unit) for t in record.tests] == [("혈색소", "14.2", "g/dL")]
    facts = document_facts(uuid.UUID(int=1), record)
    assert facts.visit_dates == [DAY] and facts.prescription_dates == [DAY]
    assert facts.has_diagnoses and facts.specialty == "medical"


def test_korean_medicine_has_visits_and_diagnoses_and_no_drug_prescriptions() -> None:
    record = parse_krcore_record(json.dumps(krcore_bundle("korean_medicine")).encode(),
                                 "korean_medicine")  # fmt: skip
    assert isinstance(record, KoreanMedicineRecord)
    assert [d.code for d in record.diagnoses] == ["M54.5"]
    assert document_facts(uuid.UUID(int=2), record).prescription_dates == []


def test_an_entry_the_schema_cannot_hold_is_left_out_not_the_record() -> None:
    bundle = broken(krcore_bundle("dental"))
    resource(bundle, "Condition")["code"]["coding"][0]["code"] = "K021"  # written without a dot
    del resource(bundle, "MedicationRequest")["dosageInstruction"][0]["doseAndRate"]
    record = parse_krcore_record(json.dumps(bundle).encode(), "dental")
    assert [d.code for d in record.diagnoses] == ["K02.1"]
    assert record.prescriptions == []  # type: ignore[union-attr]
    assert [e.date for e in record.encounters] == [DAY]


def test_not_a_bundle_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_krcore_record(b"{", "medical")
    with pytest.raises(ValueError, match="not a FHIR Bundle"):
        parse_krcore_record(b'{"resourceType": "Patient"}', "medical")
