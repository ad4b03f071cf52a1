"""One issuance form per specialty, plus FHIR bundles and plain text."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from medrec_shared.rules.clinical import (
    BILL_CATEGORY_LABELS,
    BILL_VISIT_LABELS,
    PATIENT_CATEGORY_LABELS,
    PAYMENT_METHOD_LABELS,
    ROOM_CLASS,
    Admission,
    Bill,
    DentalRecord,
    Diagnosis,
    Encounter,
    KoreanMedicineRecord,
    MedicalRecord,
    Prescription,
    Procedure,
    StructuredRecordModel,
    TestResult,
)

from .fhir import render_fhir_bundle
from .layout import CopyPdf, fmt_date, fmt_decimal, or_dash
from .toothchart import draw_tooth_chart

__all__ = [
    "render_dental",
    "render_fhir_bundle",
    "render_korean_medicine",
    "render_medical",
    "render_text",
]


def _encounters(pdf: CopyPdf, encounters: Sequence[Encounter]) -> None:
    pdf.section("내원 기록")
    if not encounters:
        pdf.empty_note()
        return
    for enc in encounters:
        pdf.subsection(f"{fmt_date(enc.date)}  {enc.department or ''}".rstrip())
        if enc.chief_complaint:
            pdf.text_block(f"주호소: {enc.chief_complaint}")
        if enc.notes:
            pdf.text_block(f"경과기록: {enc.notes}")


def _diagnoses(pdf: CopyPdf, diagnoses: Sequence[Diagnosis]) -> None:
    pdf.section("상병")
    rows = [
        ("주상병" if d.primary else "부상병", d.code, d.name, fmt_date(d.date)) for d in diagnoses
    ]
    pdf.data_table(("구분", "상병코드(KCD)", "상병명", "진단일"), rows, (15, 20, 45, 20))


def _prescriptions(pdf: CopyPdf, prescriptions: Sequence[Prescription]) -> None:
    pdf.section("처방")
    rows = [
        (
            fmt_date(p.date),
            p.drug_name,
            or_dash(p.drug_code),
            f"{fmt_decimal(p.dose)} {p.unit}",
            f"{p.frequency_per_day}회",
            f"{p.days}일",
        )
        for p in prescriptions
    ]
    headings = ("처방일", "약품명", "약품코드", "1회 투여량", "1일 횟수", "투약일수")
    pdf.data_table(headings, rows, (16, 36, 16, 14, 10, 10))


def _tests(pdf: CopyPdf, tests: Sequence[TestResult]) -> None:
    pdf.section("검사")
    rows = [
        (
            fmt_date(t.date),
            t.name,
            or_dash(t.result),
            or_dash(t.unit),
            or_dash(t.reference_range),
            or_dash(t.finding),
        )
        for t in tests
    ]
    headings = ("검사일", "검사명", "결과", "단위", "참고치", "소견")
    pdf.data_table(headings, rows, (15, 22, 14, 10, 14, 25))


def _procedures(pdf: CopyPdf, procedures: Sequence[Procedure]) -> None:
    pdf.section("처치·수술")
    rows = [(fmt_date(p.date), p.name, or_dash(p.code), or_dash(p.notes)) for p in procedures]
    pdf.data_table(("시행일", "처치명", "코드", "비고"), rows, (15, 30, 13, 42))


def _admissions(pdf: CopyPdf, admissions: Sequence[Admission]) -> None:
    pdf.section("입퇴원 기록")
    rows = [
        (
            fmt_date(a.admitted_on),
            fmt_date(a.discharged_on) if a.discharged_on else "입원 중",
            ROOM_CLASS[a.room_class] if a.room_class else "-",
            or_dash(a.department),
        )
        for a in admissions
    ]
    pdf.data_table(("입원일", "퇴원일", "병실", "진료과"), rows, (25, 25, 25, 25))


AMOUNT_HEADINGS = ("본인부담금", "공단부담금", "전액본인", "비급여")


def _won(amount: int) -> str:
    return f"{amount:,}"


def _bills(pdf: CopyPdf, bills: Sequence[Bill]) -> None:
    """The bills as the clinic issued them, each with its lines and payments (a copy of the
    record holds everything deposited; the receipt on its form is a document of its own)."""
    pdf.section("진료비 내역")
    if not bills:
        pdf.empty_note()
        return
    for bill in bills:
        period = f"{fmt_date(bill.period.start)} ~ {fmt_date(bill.period.end)}"
        pdf.subsection(
            f"영수증 {bill.number}  {fmt_date(bill.issued_on)}  "
            f"{BILL_VISIT_LABELS[bill.visit]}  {PATIENT_CATEGORY_LABELS[bill.patient_category]}"
        )
        pdf.text_block(
            f"진료기간 {period}  진료비 총액 {_won(bill.computed_total())}원  "
            f"환자부담 총액 {_won(bill.computed_patient_total())}원"
        )
        rows = [
            (
                BILL_CATEGORY_LABELS[line.category],
                or_dash(line.edi_code),
                or_dash(line.name),
                fmt_date(line.date),
                _won(line.insured_copay),
                _won(line.insurer_paid),
                _won(line.fully_self_paid),
                _won(line.uninsured),
            )
            for line in bill.lines
        ]
        headings = ("항목", "코드", "명칭", "일자", *AMOUNT_HEADINGS)
        pdf.data_table(headings, rows, (14, 12, 20, 12, 11, 11, 10, 10))
        paid = [
            (fmt_date(p.paid_on), PAYMENT_METHOD_LABELS[p.method], _won(p.amount))
            for p in bill.payments
        ]
        pdf.data_table(("납부일", "납부 방법", "금액"), paid, (30, 30, 40), empty="납부 기록 없음")


def _stays_and_bills(pdf: CopyPdf, record: StructuredRecordModel) -> None:
    """Version 2's entries; a version 1 record has none and its copy is as it always was."""
    if record.schema_version == "2":
        _admissions(pdf, record.admissions)
        _bills(pdf, record.bills)


def render_medical(pdf: CopyPdf, record: MedicalRecord | DentalRecord) -> None:
    """의과: encounters, diagnoses, prescriptions, tests, procedures (version 2: stays, bills)."""
    _encounters(pdf, record.encounters)
    _diagnoses(pdf, record.diagnoses)
    _prescriptions(pdf, record.prescriptions)
    _tests(pdf, record.tests)
    _procedures(pdf, record.procedures)
    if isinstance(record, MedicalRecord):  # 치과: after the tooth chart (render_dental)
        _stays_and_bills(pdf, record)


def render_dental(pdf: CopyPdf, record: DentalRecord) -> None:
    """치과: the medical sections, then the tooth chart drawn in FDI layout with notes."""
    render_medical(pdf, record)
    pdf.section("치아 기록 (FDI)")
    draw_tooth_chart(pdf, record.tooth_chart)
    _stays_and_bills(pdf, record)


def render_korean_medicine(pdf: CopyPdf, record: KoreanMedicineRecord) -> None:
    """한방: encounters, diagnoses, 변증, 침, 뜸·부항, 한약 처방."""
    _encounters(pdf, record.encounters)
    _diagnoses(pdf, record.diagnoses)
    pdf.section("변증")
    pdf.bullets(record.pattern_identification)
    pdf.section("침 (경혈)")
    points = [(str(i), a.point, or_dash(a.method)) for i, a in enumerate(record.acupuncture, 1)]
    pdf.data_table(("번호", "경혈", "시술 방법"), points, (8, 30, 62))
    pdf.section("뜸·부항")
    pdf.bullets(record.moxibustion_cupping)
    pdf.section("한약 처방")
    if not record.herbal_formulas:
        pdf.empty_note()
    for number, formula in enumerate(record.herbal_formulas, 1):
        details = [f"{formula.packs}첩"]
        if formula.days:
            details.append(f"{formula.days}일분")
        if formula.date:
            details.append(f"처방일 {fmt_date(formula.date)}")
        pdf.subsection(f"{number}. 처방명: {formula.name}  ({', '.join(details)})")
        per_pack = sum((h.grams for h in formula.herbs), Decimal(0))
        rows = [
            (str(i), h.name, fmt_decimal(h.grams), fmt_decimal(h.grams * formula.packs))
            for i, h in enumerate(formula.herbs, 1)
        ]
        rows.append(("", "합계", fmt_decimal(per_pack), fmt_decimal(per_pack * formula.packs)))
        headings = ("번호", "약재명", "1첩 용량(g)", f"총 용량(g, {formula.packs}첩)")
        pdf.data_table(headings, rows, (8, 42, 25, 25))
    _stays_and_bills(pdf, record)


def render_text(pdf: CopyPdf, text: str) -> None:
    """A plain-text record, line breaks kept."""
    pdf.section("기록 내용 (텍스트)")
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    cleaned = "".join(ch for ch in cleaned if ch == "\n" or ch >= " ")
    pdf.text_block(cleaned or "(내용 없음)")
