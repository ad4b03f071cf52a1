"""A structured record's refusals name the field as the transfer API answers it
(`errors[].field`): `content.bills[0].total`, a list's item by its index, and say the rule, never
the value."""

from __future__ import annotations

import copy
import json
from typing import Any

from medrec_ingest.deposit.validation import document_errors
from medrec_shared.rules.clinical import STRUCTURED_RECORD_CONTENT_TYPE
from tests.support.bills import ADMISSION, OUTPATIENT, record


def fields(document: dict[str, Any], specialty: str = "medical") -> dict[str, str]:
    data = json.dumps(document, ensure_ascii=False).encode()
    errors = document_errors(STRUCTURED_RECORD_CONTENT_TYPE, data, specialty)
    return {e["field"]: e["message"] for e in errors}


def bill(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(OUTPATIENT)
    out.update(changes)
    return out


def test_v2_accepted() -> None:
    assert fields(record("medical", admissions=[ADMISSION], bills=[OUTPATIENT])) == {}


def test_arithmetic_named_at_the_field() -> None:
    pay = [{"paid_on": "2024-03-02", "method": "cash", "amount": 99_999}]
    priced = bill()
    priced["lines"][2]["unit_price"] = 999
    got = fields(
        record(
            "medical",
            bills=[
                bill(total=1),
                bill(number="B", patient_total=1),
                bill(number="C", payments=pay),
                priced | {"number": "D"},
            ],
        )
    )
    assert got == {
        "content.bills[0].total": "differs from the sum of every line's four amounts",
        "content.bills[1].patient_total": (
            "differs from the sum of insured_copay, fully_self_paid and uninsured"
        ),
        "content.bills[2].payments": "sum to more than the patient owed (patient_total)",
        "content.bills[3].lines[2].unit_price": (
            "unit_price × count × days differs from the sum of insured_copay, insurer_paid, "
            "fully_self_paid and uninsured"
        ),
    }


def test_other_rules_named() -> None:
    stay = {"admitted_on": "2024-06-10", "discharged_on": "2024-06-01"}
    got = fields(
        record(
            "medical",
            admissions=[stay],
            bills=[
                bill(period={"from": "2024-03-03", "to": "2024-03-02"}, inpatient_kind="interim")
            ],
        )
    )
    assert got == {
        "content.admissions[0].discharged_on": "must not be before admitted_on",
        "content.bills[0].period.to": "must not be before from",
        "content.bills[0].inpatient_kind": "is for inpatient bills only",
    }
    v1 = {"schema_version": "1", "specialty": "medical", "bills": [OUTPATIENT]}
    assert fields(v1) == {"content.bills": "needs schema_version 2"}


def test_version_1_names_unchanged_but_indexed() -> None:
    bad = {"schema_version": "1", "specialty": "medical", "diagnoses": [{"code": "x", "name": "n"}]}
    assert list(fields(bad)) == ["content.diagnoses[0].code"]
