"""The documents a citizen can be issued (DOMAIN.md, "Documents a citizen can be issued"): their
names, and which of a record's entries fall in the period a citizen asks about.

A closed clinic cannot write anything new: every document is made from what was deposited. The
selection rules live here once, because two processes apply them: issuance's API (to say what a
document will hold, or refuse it before anything renders) and the render child (to draw it).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DocumentType(StrEnum):
    record_copy = "record_copy"
    treatment_confirmation = "treatment_confirmation"
    admission_confirmation = "admission_confirmation"
    receipt = "receipt"
    itemised_bill = "itemised_bill"
    payment_confirmation = "payment_confirmation"
    prescription = "prescription"
    # Not a citizen's: the 이관확인서 a depositor gets for a completed transfer (#29).
    transfer_receipt = "transfer_receipt"


#: The title each document carries, on the PDF, in the portal and on the 진위확인 page.
DOCUMENT_LABELS: Final[dict[DocumentType, str]] = {
    DocumentType.record_copy: "진료기록 사본",
    DocumentType.treatment_confirmation: "진료확인서",
    DocumentType.admission_confirmation: "입퇴원확인서",
    DocumentType.receipt: "진료비 계산서·영수증",
    DocumentType.itemised_bill: "진료비 세부산정내역",
    DocumentType.payment_confirmation: "진료비 납입확인서",
    DocumentType.prescription: "처방전 사본",
    DocumentType.transfer_receipt: "이관확인서",
}

#: Documents made from structured records (`application/vnd.medrec.record+json`), not copied.
MADE_FROM_ENTRIES: Final = frozenset(DocumentType) - {
    DocumentType.record_copy,
    DocumentType.transfer_receipt,
}

#: What a citizen (or a guardian for a child) may ask for.
CITIZEN_DOCUMENTS: Final = MADE_FROM_ENTRIES | {DocumentType.record_copy}

#: Documents whose diagnoses are printed only when the citizen asks (`include_diagnoses`).
DIAGNOSES_ON_REQUEST: Final = frozenset(
    {DocumentType.treatment_confirmation, DocumentType.admission_confirmation}
)

#: 보험 청구용: what a private insurer (실손보험) asks for, requested together from the portal.
INSURANCE_CLAIM: Final = (
    DocumentType.receipt,
    DocumentType.itemised_bill,
    DocumentType.prescription,
)


def document_label(document_type: str) -> str:
    try:
        return DOCUMENT_LABELS[DocumentType(document_type)]
    except ValueError:
        return document_type


class Period(BaseModel):
    """Both days included. On the wire `{"from": "2024-01-01", "to": "2024-12-31"}`."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start > self.end:
            raise ValueError("period.from is after period.to")
        return self

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        """A span (an open one, `end` None, runs on) sharing at least one day with the period."""
        return start <= self.end and (end is None or end >= self.start)


# -- what falls in a period (no period: everything the records hold) --------------------------
def visit_in(visited_on: dt.date, period: Period | None) -> bool:
    """진료확인서: an encounter on a day of the period."""
    return period is None or period.holds(visited_on)


def stay_in(admitted_on: dt.date, discharged_on: dt.date | None, period: Period | None) -> bool:
    """입퇴원확인서: a stay sharing a day with the period (a stay still open runs on)."""
    return period is None or period.overlaps(admitted_on, discharged_on)


def bill_in(bill_start: dt.date, bill_end: dt.date, period: Period | None) -> bool:
    """영수증 and 세부산정내역: a bill whose treatment period shares a day with the period."""
    return period is None or period.overlaps(bill_start, bill_end)


def payment_in(paid_on: dt.date, period: Period | None) -> bool:
    """납입확인서: a payment made on a day of the period (a calendar year, for 연말정산)."""
    return period is None or period.holds(paid_on)


def prescription_in(prescribed_on: dt.date | None, period: Period | None) -> bool:
    """처방전: a prescription dated in the period; an undated one only when no period is asked."""
    if period is None:
        return True
    return prescribed_on is not None and period.holds(prescribed_on)


#: What a document needs and the records did not hold, in the words of the refusal.
_NOTHING: Final[dict[DocumentType, str]] = {
    DocumentType.treatment_confirmation: "진료확인서에 적을 내원 기록이 없습니다.",
    DocumentType.admission_confirmation: "입퇴원확인서에 적을 입원 기록이 없습니다.",
    DocumentType.receipt: "발급할 진료비 영수증이 없습니다.",
    DocumentType.itemised_bill: "발급할 진료비 세부산정내역이 없습니다.",
    DocumentType.payment_confirmation: "진료비 납입확인서에 적을 납입 내역이 없습니다.",
    DocumentType.prescription: "발급할 처방전이 없습니다.",
}


def nothing_to_show(document_type: str, period: Period | None) -> str:
    """The reason a citizen reads when the records hold nothing for the document, e.g.
    "선택한 기간에 발급할 진료비 영수증이 없습니다." (issuance's 422 and the render's backstop)."""
    where = "선택한 기간에" if period is not None else "선택한 기록에"
    try:
        return f"{where} {_NOTHING[DocumentType(document_type)]}"
    except (ValueError, KeyError):
        return f"{where} 발급할 내용이 없습니다."
