"""진료비 세부산정내역, one table per bill, on the layout of its standard form (건강보험
요양급여비용 세부산정내역 고시 별지 제1서식): 항목, 일자, 코드, 명칭, 금액(단가), 횟수, 일수,
총액, 본인부담금, 공단부담금, 전액본인부담, 비급여, lines by 항목 in the form's order, and the
bill's totals. A long bill runs over pages, its headings repeated on each."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from medrec_shared.rules.clinical import BILL_CATEGORY_LABELS, Bill, BillCategory, BillLine

from ..layout import fmt_decimal
from ..models import DocumentSpec
from .page import FormPdf, day, span, won
from .receipt import bills_in
from .sources import Institution, Source

HEADINGS: Final = (
    "항목",
    "일자",
    "코드",
    "명칭",
    "금액(단가)",
    "횟수",
    "일수",
    "총액",
    "본인부담금",
    "공단부담금",
    "전액본인부담",
    "비급여",
)
WIDTHS: Final = (17, 15.5, 14, 26, 14, 7.5, 7.5, 15, 15, 15, 18, 15.5)
NUMERIC: Final = (4, 5, 6, 7, 8, 9, 10, 11)
_ORDER: Final = {category: index for index, category in enumerate(BillCategory)}


def _count(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return fmt_decimal(value) if isinstance(value, Decimal) else str(value)


def _row(bill: Bill, line: BillLine) -> tuple[str, ...]:
    return (
        BILL_CATEGORY_LABELS[line.category],
        day(line.date) if line.date else "",
        line.edi_code or "",
        line.name or "",
        won(line.unit_price),
        _count(line.count),
        _count(line.days),
        won(bill.line_amount(line)),
        won(line.insured_copay),
        won(line.insurer_paid),
        won(line.fully_self_paid),
        won(line.uninsured),
    )


def draw_bill(pdf: FormPdf, institution: Institution, source: Source, bill: Bill) -> None:
    pdf.start_form(institution.name, institution.code)
    pdf.fields(
        [
            ("환자 성명", pdf.cover.subject_name_masked),
            ("영수증번호", bill.number),
            ("진료기간", span(bill.period.start, bill.period.end)),
            ("진료과목", bill.department or source.record.department or "-"),
        ]
    )
    lines = sorted(bill.lines, key=lambda line: _ORDER[line.category])
    rows = [_row(bill, line) for line in lines]
    rows.append(
        (
            "합계",
            *([""] * 6),
            won(bill.computed_total()),
            won(bill.computed_insured_copay()),
            won(bill.computed_insurer_paid()),
            won(bill.computed_fully_self_paid()),
            won(bill.computed_uninsured()),
        )
    )
    pdf.grid(HEADINGS, rows, WIDTHS, numeric=NUMERIC, left=(3,), bold_last=True, size=6.8)
    pdf.fields([("요양기관 명칭", institution.name), ("요양기관기호", institution.code)])


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = bills_in(institution, spec)
    for source, bill in found:
        draw_bill(pdf, institution, source, bill)
    return bool(found)
