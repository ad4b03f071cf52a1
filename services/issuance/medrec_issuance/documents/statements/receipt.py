"""진료비 계산서·영수증, one per bill, on the layout of 국민건강보험 요양급여의 기준에 관한 규칙
별지 제6호 서식 (한방: 별지 제8호): the header (환자등록번호, 환자 성명, 진료기간, 야간(공휴일)진료,
진료과목, 질병군(DRG)번호, 병실, 환자구분, 영수증번호), the 항목 table (급여: 일부본인부담의
본인부담금 ① and 공단부담금 ②, 전액본인부담 ③; 비급여 ④) with its 합계, the amounts (진료비
총액, 환자부담 총액, 이미 납부한 금액, 납부할 금액, 납부한 금액 by 카드, 현금영수증 and 현금),
and the institution. Every row of the form is printed, blank where the bill has nothing; a
category the bill has and the form lacks is printed too, so the rows always add up to 합계.
The sums are the bill's own (`Bill.computed_*`): the arithmetic lives in the schema, once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from medrec_shared.rules.clinical import (
    BILL_CATEGORY_LABELS,
    KOREAN_MEDICINE_CATEGORIES,
    PATIENT_CATEGORY_LABELS,
    ROOM_CLASS,
    Bill,
    BillCategory,
    BillLine,
    BillVisit,
    InpatientKind,
    PaymentMethod,
)
from medrec_shared.rules.documents import Period, bill_in, stay_in

from ..fonts import FONT
from ..layout import MARGIN
from ..models import DocumentSpec
from .page import FormPdf, Span, day, span, won
from .sources import Institution, Source

#: The rows 제8호 (한방) shares with 제6호; its others are the 한방 categories.
FORM_8_COMMON: Final = frozenset(
    {
        BillCategory.consultation,
        BillCategory.admission,
        BillCategory.admission_single,
        BillCategory.admission_two_three,
        BillCategory.meals,
        BillCategory.medication,
        BillCategory.injection,
        BillCategory.laboratory,
        BillCategory.imaging,
        BillCategory.materials,
        BillCategory.certificates,
    }
)
#: 제6호's rows: all but the 한방 ones (and 기타, printed only when a bill has it).
FORM_6: Final = frozenset(BillCategory) - KOREAN_MEDICINE_CATEGORIES - {BillCategory.other}
FORM_8: Final = FORM_8_COMMON | KOREAN_MEDICINE_CATEGORIES

SUMMARY_WIDTH: Final = 60.0
HEADINGS: Final[Sequence[Sequence[Span]]] = (
    (("항목", 1, 3), ("급여", 3, 1), ("비급여 ④", 1, 3)),
    (("일부본인부담", 2, 1), ("전액본인부담 ③", 1, 2)),
    (("본인부담금 ①", 1, 1), ("공단부담금 ②", 1, 1)),
)


def bills_in(institution: Institution, spec: DocumentSpec) -> list[tuple[Source, Bill]]:
    """The bills whose treatment period shares a day with the period, by issue date."""
    period = spec.period()
    found = [
        (source, bill)
        for source in institution.sources
        for bill in source.content.bills
        if bill_in(bill.period.start, bill.period.end, period)
    ]
    return sorted(found, key=lambda pair: (pair[1].issued_on, pair[1].number))


def form_rows(bill: Bill, korean: bool) -> list[BillCategory]:
    """The form's rows and any other the bill has, in the forms' order."""
    listed = (FORM_8 if korean else FORM_6) | {line.category for line in bill.lines}
    return [c for c in BillCategory if c in listed]


def _amounts(lines: Sequence[BillLine]) -> tuple[str, ...]:
    if not lines:
        return ("", "", "", "")
    return (
        won(sum(line.insured_copay for line in lines)),
        won(sum(line.insurer_paid for line in lines)),
        won(sum(line.fully_self_paid for line in lines)),
        won(sum(line.uninsured for line in lines)),
    )


def _visit(bill: Bill) -> str:
    def box(on: bool) -> str:
        return "■" if on else "□"

    inpatient = bill.visit == BillVisit.inpatient
    discharge = inpatient and bill.inpatient_kind == InpatientKind.discharge
    interim = inpatient and bill.inpatient_kind == InpatientKind.interim
    return (
        f"{box(not inpatient)} 외래   {box(inpatient)} 입원 "
        f"({box(discharge)} 퇴원  {box(interim)} 중간)"
    )


def _room(source: Source, bill: Bill) -> str:
    if bill.visit != BillVisit.inpatient:
        return "-"
    billed = Period(start=bill.period.start, end=bill.period.end)
    for stay in source.content.admissions:
        if stay.room_class and stay_in(stay.admitted_on, stay.discharged_on, billed):
            return ROOM_CLASS[stay.room_class]
    return "-"


def _paid(bill: Bill) -> dict[PaymentMethod, int]:
    paid = dict.fromkeys(PaymentMethod, 0)
    for payment in bill.payments:
        paid[payment.method] += payment.amount
    return paid


def draw_bill(pdf: FormPdf, institution: Institution, source: Source, bill: Bill) -> None:
    korean = bill.is_korean_medicine(source.content.specialty)
    form = "별지 제8호 서식 (한방)" if korean else "별지 제6호 서식"
    pdf.start_form(institution.name, institution.code, f"{_visit(bill)}    [{form}]")
    pdf.fields(
        [
            ("환자등록번호", ""),
            ("환자 성명", pdf.cover.subject_name_masked),
            ("진료기간", span(bill.period.start, bill.period.end)),
            ("야간(공휴일)", "■ 해당" if bill.night_or_holiday else "□ 해당"),
            ("진료과목", bill.department or source.record.department or "-"),
            ("질병군(DRG)", ""),
            ("병실", _room(source, bill)),
            ("환자구분", PATIENT_CATEGORY_LABELS[bill.patient_category]),
            ("영수증번호", bill.number),
        ],
        columns=3,
        label=20,
        size=8,
    )
    rows = [
        (BILL_CATEGORY_LABELS[c], *_amounts([x for x in bill.lines if x.category == c]))
        for c in form_rows(bill, korean)
    ]
    totals = (
        bill.computed_insured_copay(),
        bill.computed_insurer_paid(),
        bill.computed_fully_self_paid(),
        bill.computed_uninsured(),
    )
    rows.append(("합계", *(won(t) for t in totals)))
    top = pdf.get_y()
    # The 항목 table on the left and 금액산정내용 beside it, as the form has them.
    pdf.set_right_margin(MARGIN + SUMMARY_WIDTH + 3)
    widths = (30, 21, 21, 21, 21)
    pdf.grid((), rows, widths, numeric=(1, 2, 3, 4), bold_last=True, heading_rows=HEADINGS, size=8)
    below = pdf.get_y()
    pdf.set_right_margin(MARGIN)
    pdf.set_left_margin(pdf.w - MARGIN - SUMMARY_WIDTH)
    pdf.set_xy(pdf.l_margin, top)
    _summary(pdf, bill)
    pdf.set_left_margin(MARGIN)
    pdf.set_xy(MARGIN, max(below, pdf.get_y()))
    pdf.fields(
        [
            ("요양기관 명칭", institution.name),
            ("요양기관기호", institution.code),
            ("발행일", day(bill.issued_on)),
            ("발급", "진료기록보관시스템 (전자서명)"),
        ],
        size=8.5,
    )


def _summary(pdf: FormPdf, bill: Bill) -> None:
    owed = bill.computed_patient_total()
    paid = _paid(bill)
    paid_total = bill.paid()
    pdf.set_font(FONT, "B", 8.5)
    pdf.cell(0, 6, "금액산정내용", align="C", border=1, fill=False, new_x="LMARGIN", new_y="NEXT")
    pdf.fields(
        [
            ("진료비 총액\n(①+②+③+④)", won(bill.computed_total())),
            ("환자부담 총액\n(①+③+④)", won(owed)),
            ("이미 납부한 금액", "0"),
            ("납부할 금액", won(owed)),
            ("납부한 금액: 카드", won(paid[PaymentMethod.card])),
            ("현금영수증", won(paid[PaymentMethod.cash_receipt])),
            ("현금", won(paid[PaymentMethod.cash])),
            ("합계", won(paid_total)),
            ("납부하지 않은 금액", won(owed - paid_total)),
        ],
        columns=1,
        label=33,
        size=8,
        amounts=True,
    )


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = bills_in(institution, spec)
    for source, bill in found:
        draw_bill(pdf, institution, source, bill)
    return bool(found)
