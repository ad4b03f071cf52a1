"""Version 2 structured records (admissions, bills) whose arithmetic is right, for tests to
start from and spoil one field at a time."""

from __future__ import annotations

import json
from typing import Any


def line(
    category: str, copay: int, insurer: int, full: int = 0, uninsured: int = 0, **kw: Any
) -> dict[str, Any]:
    return {
        "category": category,
        "insured_copay": copay,
        "insurer_paid": insurer,
        "fully_self_paid": full,
        "uninsured": uninsured,
        **kw,
    }


OUTPATIENT: dict[str, Any] = {
    "number": "O-2024-0302-017",
    "issued_on": "2024-03-02",
    "visit": "outpatient",
    "period": {"from": "2024-03-02", "to": "2024-03-02"},
    "department": "소아청소년과",
    "patient_category": "health_insurance",
    "night_or_holiday": True,
    "total": 42_340,
    "patient_total": 28_653,
    "lines": [
        line("consultation", 3_600, 8_400, edi_code="AA154", unit_price=12_000, count=1, days=1),
        line("laboratory", 2_100, 4_900, edi_code="D2200", name="CRP", date="2024-03-02"),
        # 1.5 a day for 3 days at 123 won: floor(553.5) = 553
        line("medication", 166, 387, edi_code="643301230", unit_price=123, count="1.5", days=3),
        line("imaging", 0, 0, 0, 10_837, name="흉부 촬영(비급여 판독)"),
        line("certificates", 0, 0, 0, 0),
        line("materials", 0, 0, 0, 11_950, name="네뷸라이저 키트"),
    ],
    "payments": [
        {"paid_on": "2024-03-02", "method": "card", "amount": 10_000},
        {"paid_on": "2024-03-05", "method": "cash_receipt", "amount": 18_653},
    ],
}

DISCHARGE: dict[str, Any] = {
    "number": "I-2024-0614-003",
    "issued_on": "2024-06-14",
    "visit": "inpatient",
    "inpatient_kind": "discharge",
    "period": {"from": "2024-06-10", "to": "2024-06-14"},
    "patient_category": "medical_aid",
    "lines": [
        line("admission", 40_000, 160_000, edi_code="AB220", unit_price=50_000, count=1, days=4),
        line("meals", 10_000, 10_000, date="2024-06-11"),
        line("mri", 0, 0, 250_000, 0, edi_code="HI101"),
    ],
    "payments": [{"paid_on": "2024-06-14", "method": "cash", "amount": 300_000}],
}

KM_BILL: dict[str, Any] = {
    "number": "K-2024-0405-011",
    "issued_on": "2024-04-05",
    "visit": "outpatient",
    "period": {"from": "2024-04-05", "to": "2024-04-05"},
    "patient_category": "health_insurance",
    "lines": [
        line("consultation", 1_100, 9_810, edi_code="10100"),
        line("acupuncture", 0, 4_260, edi_code="40011"),
        line("moxibustion", 0, 1_050, edi_code="40030"),
        line("cupping", 0, 2_910, edi_code="40071"),
        line("km_physiotherapy", 0, 1_560),
        line("herbal_decoction", 0, 0, 0, 150_000, name="첩약 10첩"),
        line("pharmacopuncture", 0, 0, 0, 20_000),
        line("chuna", 0, 0, 0, 30_000),
    ],
    "payments": [{"paid_on": "2024-04-05", "method": "card", "amount": 201_100}],
}

ADMISSION = {"admitted_on": "2024-06-10", "discharged_on": "2024-06-14", "room_class": "ward"}


def record(specialty: str, **fields: Any) -> dict[str, Any]:
    return {"schema_version": "2", "specialty": specialty, **fields}


def record_bytes(specialty: str, **fields: Any) -> bytes:
    return json.dumps(record(specialty, **fields), ensure_ascii=False).encode()
