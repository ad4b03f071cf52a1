"""Stays in hospital and bills (schema version 2): what 입퇴원확인서, 진료비 계산서·영수증,
세부산정내역 and 납입확인서 are made from.

A bill is the receipt as the clinic issued it, in whole won. Its arithmetic is checked here, once,
so a bill that does not add up never gets in and every form prints the same sums:

- every amount is a whole number of won, never negative;
- ``total``, when given, is the sum of every line's four amounts; ``patient_total``, when given,
  the sum of 본인부담금 + 전액본인부담 + 비급여;
- a line with a unit price and a count costs floor(unit price × count × days) in all;
- the payments never exceed what the patient owed.

Each refusal is raised by the validator of the field it names (pydantic validates fields in
declaration order, so a field is declared after the ones it is checked against), so an error's
location is that field: ``bills.0.total``, ``bills.0.lines.2.unit_price``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Final

from pydantic import ConfigDict, Field, JsonValue, ValidationInfo, field_validator

from medrec_shared.rules.clinical.billing_codes import (
    KOREAN_MEDICINE_CATEGORIES,
    ROOM_CLASS,
    BillCategory,
    BillVisit,
    InpatientKind,
    PatientCategory,
    PaymentMethod,
    RoomClass,
)
from medrec_shared.rules.clinical.entries import Code, StrictModel

#: A sum of money in whole won (원). 1,000억 is far beyond any bill; it keeps sums bounded.
Won = Annotated[int, Field(ge=0, le=100_000_000_000, strict=True)]


class Admission(StrictModel):
    """A stay in hospital (입원)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "admitted_on": "2024-06-10",
                    "discharged_on": "2024-06-14",
                    "room_class": "ward",
                    "department": "정형외과",
                }
            ]
        }
    )

    admitted_on: dt.date = Field(description="Admitted on (입원일)")
    discharged_on: dt.date | None = Field(
        default=None, description="Discharged on (퇴원일); absent while the stay was open"
    )
    room_class: RoomClass | None = Field(
        default=None, description="Room class (병실 구분): " + ", ".join(ROOM_CLASS.values())
    )
    department: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Department (진료과)"
    )

    @field_validator("discharged_on")
    @classmethod
    def _after_admission(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        admitted = info.data.get("admitted_on")
        if value is not None and admitted is not None and value < admitted:
            raise ValueError("must not be before admitted_on")
        return value


class BillPeriod(StrictModel):
    """The treatment period a bill covers (진료기간), both days included; on the wire
    ``{"from": …, "to": …}`` like ``rules.documents.Period``."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from", description="From (진료기간 시작일)")
    end: dt.date = Field(alias="to", description="To (진료기간 종료일)")

    @field_validator("end")
    @classmethod
    def _ordered(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError("must not be before from")
        return value


_LINE_EXAMPLE: Final[dict[str, JsonValue]] = {
    "category": "consultation",
    "edi_code": "AA154",
    "name": "재진진찰료-의원",
    "date": "2024-03-02",
    "unit_price": 12000,
    "count": 1,
    "days": 1,
    "insured_copay": 3600,
    "insurer_paid": 8400,
    "fully_self_paid": 0,
    "uninsured": 0,
}


class BillLine(StrictModel):
    """One line of a bill (세부산정내역 한 줄): amounts split as the receipt splits them.

    Fields are declared amounts first: the price check on ``unit_price`` reads them."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LINE_EXAMPLE]})

    category: BillCategory = Field(description="Category (항목), a row of the receipt")
    edi_code: Code | None = Field(default=None, description="EDI code (코드, 수가·약품 코드)")
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Name (명칭)"
    )
    date: dt.date | None = Field(default=None, description="Date (일자)")
    insured_copay: Won = Field(description="급여 일부본인부담: 본인부담금 (won)")
    insurer_paid: Won = Field(description="급여 일부본인부담: 공단부담금 (won)")
    fully_self_paid: Won = Field(description="급여 전액본인부담 (won)")
    uninsured: Won = Field(description="비급여 (won)")
    count: Decimal | None = Field(
        default=None,
        gt=0,
        le=100_000,
        max_digits=12,
        decimal_places=4,
        description="Count (횟수 or 1일 투여량; may be fractional, e.g. 0.5)",
    )
    days: Annotated[int, Field(ge=1, le=366, strict=True)] | None = Field(
        default=None, description="Days (일수)"
    )
    unit_price: Won | None = Field(
        default=None,
        description="Unit price (단가, won); with count, floor(unit_price × count × days) "
        "is the line's four amounts summed",
    )

    def amount(self) -> int:
        """총액: the line's four amounts."""
        return self.insured_copay + self.insurer_paid + self.fully_self_paid + self.uninsured

    @field_validator("unit_price")
    @classmethod
    def _priced(cls, value: int | None, info: ValidationInfo) -> int | None:
        count = info.data.get("count")
        amounts = [info.data.get(f) for f in _AMOUNTS]
        if value is None or count is None or any(a is None for a in amounts):
            return value  # nothing to check against, or already refused for itself
        days = info.data.get("days") or 1
        if math.floor(value * count * days) != sum(a for a in amounts if a is not None):
            raise ValueError(
                "unit_price × count × days differs from the sum of insured_copay, "
                "insurer_paid, fully_self_paid and uninsured"
            )
        return value


_AMOUNTS: Final = ("insured_copay", "insurer_paid", "fully_self_paid", "uninsured")


class Payment(StrictModel):
    """A payment towards a bill (수납)."""

    paid_on: dt.date = Field(description="Paid on (수납일)")
    method: PaymentMethod = Field(description="Method (수납 방법): card, cash_receipt, cash")
    amount: Won = Field(description="Amount (won)")


class Bill(StrictModel):
    """진료비 계산서·영수증 as the clinic issued it. ``lines`` is declared before the sums that
    are checked against it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "2024-0302-017",
                    "issued_on": "2024-03-02",
                    "visit": "outpatient",
                    "period": {"from": "2024-03-02", "to": "2024-03-02"},
                    "department": "소아청소년과",
                    "patient_category": "health_insurance",
                    "total": 12000,
                    "patient_total": 3600,
                    "lines": [_LINE_EXAMPLE],
                    "payments": [{"paid_on": "2024-03-02", "method": "card", "amount": 3600}],
                }
            ]
        }
    )

    number: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="Receipt number (영수증 번호)"
    )
    issued_on: dt.date = Field(description="Issued on (발행일)")
    visit: BillVisit = Field(description="Outpatient or inpatient (외래·입원)")
    inpatient_kind: InpatientKind | None = Field(
        default=None, description="Inpatient bills only: interim or discharge (중간·퇴원)"
    )
    period: BillPeriod = Field(description="Treatment period (진료기간)")
    department: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Department (진료과)"
    )
    patient_category: PatientCategory = Field(description="Patient category (환자 구분)")
    night_or_holiday: bool = Field(default=False, description="Night or holiday (야간·공휴일)")
    lines: list[BillLine] = Field(min_length=1, max_length=5000, description="Lines (항목별 내역)")
    total: Won | None = Field(
        default=None, description="진료비 총액 (won): every line's four amounts, summed"
    )
    patient_total: Won | None = Field(
        default=None,
        description="환자부담 총액 (won): insured_copay + fully_self_paid + uninsured, summed",
    )
    payments: list[Payment] = Field(
        default_factory=list, max_length=1000, description="Payments (납부한 금액)"
    )

    @field_validator("inpatient_kind")
    @classmethod
    def _inpatient_only(
        cls, value: InpatientKind | None, info: ValidationInfo
    ) -> InpatientKind | None:
        if value is not None and info.data.get("visit") not in (None, BillVisit.inpatient):
            raise ValueError("is for inpatient bills only")
        return value

    @field_validator("total")
    @classmethod
    def _total(cls, value: int | None, info: ValidationInfo) -> int | None:
        lines: list[BillLine] | None = info.data.get("lines")
        if value is not None and lines is not None and value != sum(x.amount() for x in lines):
            raise ValueError("differs from the sum of every line's four amounts")
        return value

    @field_validator("patient_total")
    @classmethod
    def _patient_total(cls, value: int | None, info: ValidationInfo) -> int | None:
        lines: list[BillLine] | None = info.data.get("lines")
        if value is not None and lines is not None and value != _owed(lines):
            raise ValueError("differs from the sum of insured_copay, fully_self_paid and uninsured")
        return value

    @field_validator("payments")
    @classmethod
    def _payments(cls, value: list[Payment], info: ValidationInfo) -> list[Payment]:
        lines: list[BillLine] | None = info.data.get("lines")
        if lines is None or "patient_total" not in info.data:
            return value  # refused already for another reason
        owed = info.data["patient_total"]
        owed = _owed(lines) if owed is None else owed
        if sum(p.amount for p in value) > owed:
            raise ValueError("sum to more than the patient owed (patient_total)")
        return value

    # -- the arithmetic the forms print ---------------------------------------------------------
    @staticmethod
    def line_amount(line: BillLine) -> int:
        return line.amount()

    def computed_total(self) -> int:
        return sum(line.amount() for line in self.lines)

    def computed_patient_total(self) -> int:
        return _owed(self.lines)

    def computed_insured_copay(self) -> int:
        return sum(line.insured_copay for line in self.lines)

    def computed_insurer_paid(self) -> int:
        return sum(line.insurer_paid for line in self.lines)

    def computed_fully_self_paid(self) -> int:
        return sum(line.fully_self_paid for line in self.lines)

    def computed_uninsured(self) -> int:
        return sum(line.uninsured for line in self.lines)

    def paid(self) -> int:
        return sum(payment.amount for payment in self.payments)

    def is_korean_medicine(self, specialty: str | None = None) -> bool:
        """A 한방 bill (별지 제8호): any 한방 row, or the record's specialty is 한방."""
        return specialty == "korean_medicine" or any(
            line.category in KOREAN_MEDICINE_CATEGORIES for line in self.lines
        )


def _owed(lines: list[BillLine]) -> int:
    return sum(x.insured_copay + x.fully_self_paid + x.uninsured for x in lines)
