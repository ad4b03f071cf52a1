"""Known answers for the structured record's version 2: admissions and bills in every specialty,
their arithmetic (refused at the field it concerns), and version 1 unchanged."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from medrec_shared.rules.clinical import (
    BILL_CATEGORY_LABELS,
    KOREAN_MEDICINE_CATEGORIES,
    PATIENT_CATEGORY_LABELS,
    PAYMENT_METHOD_LABELS,
    Bill,
    BillCategory,
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    parse_structured_record,
    structured_record_json_schema,
)
from tests.support.bills import ADMISSION, DISCHARGE, KM_BILL, OUTPATIENT, line, record


def parse(data: dict[str, Any]) -> Any:
    return parse_structured_record(json.dumps(data, ensure_ascii=False).encode())


def refusal(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as refused:
        parse(data)
    return [(err["loc"], err["msg"]) for err in refused.value.errors()]


def locs(data: dict[str, Any]) -> list[tuple[str | int, ...]]:
    return [loc for loc, _ in refusal(data)]


# -- valid documents ----------------------------------------------------------------------------
def test_medical_v2_with_both_bills() -> None:
    doc = parse(record("medical", admissions=[ADMISSION], bills=[OUTPATIENT, DISCHARGE]))
    assert isinstance(doc, MedicalRecord)
    assert doc.schema_version == "2"
    out, inpatient = doc.bills
    assert out.computed_total() == 42_340
    assert out.computed_patient_total() == 28_653
    assert out.computed_insured_copay() == 3_600 + 2_100 + 166
    assert out.computed_insurer_paid() == 8_400 + 4_900 + 387
    assert out.computed_uninsured() == 10_837 + 11_950
    assert out.computed_fully_self_paid() == 0
    assert out.paid() == 28_653
    assert [out.line_amount(x) for x in out.lines][:3] == [12_000, 7_000, 553]
    assert not out.is_korean_medicine()
    assert inpatient.total is None and inpatient.computed_total() == 470_000
    assert inpatient.computed_patient_total() == 300_000
    assert inpatient.period.start.isoformat() == "2024-06-10"
    assert doc.admissions[0].discharged_on is not None


def test_dental_v2() -> None:
    bill = copy.deepcopy(OUTPATIENT)
    bill["lines"] = [line("prosthodontics_orthodontics", 0, 0, 0, 700_000, edi_code="UX001")]
    bill.update(total=700_000, patient_total=700_000, payments=[])
    doc = parse(record("dental", bills=[bill]))
    assert isinstance(doc, DentalRecord)
    assert doc.bills[0].computed_total() == 700_000


def test_korean_medicine_v2_is_form_8() -> None:
    doc = parse(record("korean_medicine", encounters=[{"date": "2024-04-05"}], bills=[KM_BILL]))
    assert isinstance(doc, KoreanMedicineRecord)
    bill = doc.bills[0]
    assert bill.is_korean_medicine()
    assert bill.computed_total() == 220_690
    assert bill.computed_patient_total() == 201_100
    assert BILL_CATEGORY_LABELS[bill.lines[1].category] == "침술"
    # A bill without 한방 rows is a 한방 bill when its record's specialty is 한방.
    plain = Bill.model_validate(
        {**KM_BILL, "lines": [line("consultation", 1_100, 9_810)], "payments": []}
    )
    assert not plain.is_korean_medicine()
    assert plain.is_korean_medicine("korean_medicine")


def test_labels_cover_every_value() -> None:
    assert set(BILL_CATEGORY_LABELS) == set(BillCategory)
    assert BILL_CATEGORY_LABELS[BillCategory.prosthodontics_orthodontics] == "보철·교정료"
    assert {"침술", "구술", "부항술", "한방물리요법", "첩약", "약침술"} <= {
        BILL_CATEGORY_LABELS[c] for c in KOREAN_MEDICINE_CATEGORIES
    }
    assert PATIENT_CATEGORY_LABELS["medical_aid"] == "의료급여"  # type: ignore[index]
    assert PAYMENT_METHOD_LABELS["cash_receipt"] == "현금영수증"  # type: ignore[index]


def test_open_stay_and_empty_v2() -> None:
    doc = parse(record("medical", admissions=[{"admitted_on": "2024-06-10"}]))
    assert doc.admissions[0].discharged_on is None
    assert parse(record("medical")).bills == []


# -- arithmetic refused at its field ------------------------------------------------------------
def with_bill(**changes: Any) -> dict[str, Any]:
    bill = copy.deepcopy(OUTPATIENT)
    bill.update(changes)
    return record("medical", bills=[bill])


def test_wrong_total() -> None:
    assert refusal(with_bill(total=42_341)) == [
        (
            ("medical", "bills", 0, "total"),
            "Value error, differs from the sum of every line's four amounts",
        ),
    ]


def test_wrong_patient_total() -> None:
    assert locs(with_bill(patient_total=28_000)) == [("medical", "bills", 0, "patient_total")]


def test_payments_above_what_was_owed() -> None:
    pay = [{"paid_on": "2024-03-02", "method": "card", "amount": 28_654}]
    assert locs(with_bill(payments=pay)) == [("medical", "bills", 0, "payments")]
    # patient_total absent: compared with what the lines say the patient owed
    assert locs(with_bill(payments=pay, patient_total=None)) == [
        ("medical", "bills", 0, "payments")
    ]


def test_unit_price_that_does_not_make_the_line() -> None:
    bill = copy.deepcopy(OUTPATIENT)
    bill["lines"][2]["unit_price"] = 124
    assert locs(record("medical", bills=[bill])) == [
        ("medical", "bills", 0, "lines", 2, "unit_price")
    ]


@pytest.mark.parametrize("amount", [-1, 1.5, "100", 10**12])
def test_amount_not_whole_won(amount: object) -> None:
    bill = copy.deepcopy(OUTPATIENT)
    bill["lines"][1]["uninsured"] = amount
    assert ("medical", "bills", 0, "lines", 1, "uninsured") in locs(record("medical", bills=[bill]))


def test_period_backwards() -> None:
    period = {"from": "2024-03-03", "to": "2024-03-02"}
    assert locs(with_bill(period=period)) == [("medical", "bills", 0, "period", "to")]


def test_inpatient_kind_on_an_outpatient_bill() -> None:
    assert locs(with_bill(inpatient_kind="interim")) == [("medical", "bills", 0, "inpatient_kind")]


def test_discharged_before_admitted() -> None:
    stay = {"admitted_on": "2024-06-10", "discharged_on": "2024-06-09"}
    assert locs(record("dental", admissions=[stay])) == [
        ("dental", "admissions", 0, "discharged_on")
    ]


def test_two_bills_with_one_number() -> None:
    assert locs(record("medical", bills=[OUTPATIENT, OUTPATIENT])) == [("medical", "bills")]


def test_bill_without_lines_and_unknown_category() -> None:
    assert ("medical", "bills", 0, "lines") in locs(with_bill(lines=[]))
    bad = copy.deepcopy(OUTPATIENT)
    bad["lines"][0]["category"] = "massage"
    assert ("medical", "bills", 0, "lines", 0, "category") in locs(record("medical", bills=[bad]))


# -- version 1 unchanged ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"), [("admissions", []), ("admissions", [ADMISSION]), ("bills", [OUTPATIENT])]
)
def test_v1_carrying_v2_fields_refused(field: str, value: list[Any]) -> None:
    data = {"schema_version": "1", "specialty": "medical", field: value}
    assert refusal(data) == [(("medical", field), "Value error, needs schema_version 2")]


def test_v1_reads_as_before() -> None:
    doc = parse(
        {"schema_version": "1", "specialty": "medical", "encounters": [{"date": "2024-03-02"}]}
    )
    assert doc.schema_version == "1"
    assert doc.admissions == [] and doc.bills == []
    # What a v1 document dumps to (what the copy renders from) holds nothing new but defaults.
    dumped = doc.model_dump(exclude_defaults=True, mode="json")
    assert dumped == {
        "schema_version": "1",
        "specialty": "medical",
        "encounters": [{"date": "2024-03-02"}],
    }


# -- publication --------------------------------------------------------------------------------
def test_json_schema_publishes_v2() -> None:
    schema = structured_record_json_schema()
    defs = schema["$defs"]
    assert defs["MedicalRecord"]["properties"]["schema_version"]["enum"] == ["1", "2"]
    for name in ("MedicalRecord", "DentalRecord", "KoreanMedicineRecord"):
        assert {"admissions", "bills"} <= set(defs[name]["properties"])
    assert {"from", "to"} <= set(defs["BillPeriod"]["properties"])
    assert "acupuncture" in defs["BillCategory"]["enum"]
    assert defs["BillLine"]["properties"]["insured_copay"]["type"] == "integer"


def test_v2_examples_validate_against_the_published_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = structured_record_json_schema()
    for model in (MedicalRecord, KoreanMedicineRecord):
        extra: Any = model.model_config["json_schema_extra"]
        for example in extra["examples"]:
            jsonschema.validate(example, schema)
            parse(example)
    jsonschema.validate(record("medical", admissions=[ADMISSION], bills=[OUTPATIENT]), schema)
