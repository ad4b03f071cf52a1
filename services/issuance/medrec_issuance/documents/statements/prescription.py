"""처방전 사본, one sheet per institution and day prescribed, on the layout of 의료법 시행규칙
별지 제9호 서식: 교부 연월일, the patient, the institution (명칭, 요양기관기호), 질병분류기호
(the KCD codes: the form prints them, whatever the citizen chose for the confirmations), and the
table of 처방 의약품의 명칭, 1회 투약량, 1일 투여횟수, 총 투약일수, 용법. The record keeps no
교부번호 nor the prescriber, so those boxes stay blank rather than invented."""

from __future__ import annotations

from datetime import date

from medrec_shared.rules.clinical import DentalRecord, MedicalRecord, Prescription
from medrec_shared.rules.documents import prescription_in

from ..layout import fmt_decimal
from ..models import DocumentSpec
from .page import FormPdf, day
from .sources import Institution, Source

#: Undated prescriptions (only when no period was asked) sort after the dated ones.
_LAST = date.max


def sheets(
    institution: Institution, spec: DocumentSpec
) -> dict[tuple[date, str], tuple[Source, list[Prescription]]]:
    """Prescriptions in the period, a sheet per record and day."""
    period = spec.period()
    found: dict[tuple[date, str], tuple[Source, list[Prescription]]] = {}
    for source in institution.sources:
        if not isinstance(source.content, MedicalRecord | DentalRecord):
            continue
        for item in source.content.prescriptions:
            if prescription_in(item.date, period):
                key = (item.date or _LAST, source.record.record_id)
                found.setdefault(key, (source, []))[1].append(item)
    return dict(sorted(found.items()))


def disease_codes(source: Source, on: date | None) -> str:
    """The KCD codes of the day's diagnoses; those undated or of other days when none is."""
    diagnoses = source.content.diagnoses
    that_day = [d for d in diagnoses if on is not None and d.date == on]
    chosen = that_day or [d for d in diagnoses if d.date is None] or list(diagnoses)
    return ", ".join(dict.fromkeys(d.code for d in chosen)) or "-"


def draw_sheet(
    pdf: FormPdf, institution: Institution, source: Source, items: list[Prescription]
) -> None:
    on = items[0].date
    pdf.start_form(institution.name, institution.code, "[의료법 시행규칙 별지 제9호 서식]")
    pdf.fields(
        [
            ("교부 연월일", day(on)),
            ("교부번호", ""),
            ("환자 성명", pdf.cover.subject_name_masked),
            ("질병분류기호", disease_codes(source, on)),
            ("의료기관 명칭", institution.name),
            ("요양기관기호", institution.code),
            ("처방 의료인", ""),
            ("진료과목", source.record.department or "-"),
        ]
    )
    rows = [
        (
            item.drug_name,
            item.drug_code or "",
            f"{fmt_decimal(item.dose)} {item.unit}",
            f"{item.frequency_per_day}회",
            f"{item.days}일",
            f"1일 {item.frequency_per_day}회, 1회 {fmt_decimal(item.dose)} {item.unit}",
        )
        for item in items
    ]
    headings = ("처방 의약품의 명칭", "코드", "1회 투약량", "1일 투여횟수", "총 투약일수", "용법")
    pdf.grid(headings, rows, (52, 24, 22, 22, 22, 38), left=(0,), size=8.5)


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = sheets(institution, spec)
    for source, items in found.values():
        draw_sheet(pdf, institution, source, items)
    return bool(found)
