"""What the record schema cannot say about a structured record of version 2 and ingest checks
all the same (medrec_shared.rules.clinical.bills, with the same messages and field names): a
bill's arithmetic, dates in order, and admissions and bills only in version 2.

The kit carries this itself (it depends on nothing of the service's code) so `validate` reports
a bill that does not add up, by its field (`content.bills[0].total`), before anything is sent.
It runs on a document the schema has accepted, so every value has its type.
"""

import math
from decimal import Decimal, InvalidOperation
from typing import Any

_AMOUNTS = ("insured_copay", "insurer_paid", "fully_self_paid", "uninsured")


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _line_errors(where: str, line: dict[str, Any]) -> list[dict[str, str]]:
    price, count = line.get("unit_price"), line.get("count")
    if price is None or count is None:
        return []
    try:
        quantity = Decimal(str(count)) * Decimal(str(line.get("days") or 1))
    except InvalidOperation:
        return []  # the schema has refused it already
    if math.floor(price * quantity) == sum(line[name] for name in _AMOUNTS):
        return []
    return [
        _error(
            f"{where}.unit_price",
            "unit_price × count × days differs from the sum of insured_copay, insurer_paid, "
            "fully_self_paid and uninsured",
        )
    ]


def _bill_errors(where: str, bill: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if bill.get("inpatient_kind") is not None and bill.get("visit") != "inpatient":
        errors.append(_error(f"{where}.inpatient_kind", "is for inpatient bills only"))
    period = bill.get("period") or {}
    if period.get("to", "") < period.get("from", ""):
        errors.append(_error(f"{where}.period.to", "must not be before from"))
    lines = bill.get("lines") or []
    line_errors = [
        error
        for index, line in enumerate(lines)
        for error in _line_errors(f"{where}.lines[{index}]", line)
    ]
    if line_errors:
        return errors + line_errors  # as ingest: sums are checked against valid lines only
    total = sum(line[name] for line in lines for name in _AMOUNTS)
    owed = sum(x["insured_copay"] + x["fully_self_paid"] + x["uninsured"] for x in lines)
    if bill.get("total") is not None and bill["total"] != total:
        errors.append(_error(f"{where}.total", "differs from the sum of every line's four amounts"))
    patient_total = bill.get("patient_total")
    if patient_total is not None and patient_total != owed:
        errors.append(
            _error(
                f"{where}.patient_total",
                "differs from the sum of insured_copay, fully_self_paid and uninsured",
            )
        )
    elif sum(p["amount"] for p in bill.get("payments") or []) > owed:
        errors.append(
            _error(f"{where}.payments", "sum to more than the patient owed (patient_total)")
        )
    return errors


def structured_errors(document: dict[str, Any]) -> list[dict[str, str]]:
    """The version 2 rules, for a structured record the schema accepted; fields named from the
    record line (`content.…`)."""
    errors: list[dict[str, str]] = []
    if document.get("schema_version") != "2":
        return [
            _error(f"content.{name}", "needs schema_version 2")
            for name in ("admissions", "bills")
            if name in document
        ]
    for index, stay in enumerate(document.get("admissions") or []):
        discharged = stay.get("discharged_on")
        if discharged is not None and discharged < stay["admitted_on"]:
            where = f"content.admissions[{index}].discharged_on"
            errors.append(_error(where, "must not be before admitted_on"))
    bills = document.get("bills") or []
    for index, bill in enumerate(bills):
        errors += _bill_errors(f"content.bills[{index}]", bill)
    if len({bill["number"] for bill in bills}) != len(bills):
        errors.append(_error("content.bills", "name a bill number more than once"))
    return errors
