"""진료확인서 (통원확인서): the days the person visited the institution in the period, an
institution a form. No form is prescribed; laid out as Korean clinics issue it: 성명, 요양기관,
진료기간, the 내원일자 table, 상병 only on request, 용도, the issuer's statement."""

from __future__ import annotations

from datetime import date

from medrec_shared.rules.documents import visit_in

from ..models import DocumentSpec
from .diagnoses import diagnoses_of, draw_diagnoses
from .page import FormPdf, day, span
from .sources import Institution

STATEMENT = "위와 같이 진료(통원)하였음을 확인합니다."


def visits(institution: Institution, spec: DocumentSpec) -> dict[date, str]:
    """Each visit day in the period with its departments (a day once, however many records)."""
    period = spec.period()
    days: dict[date, list[str]] = {}
    for source in institution.sources:
        for encounter in source.content.encounters:
            if visit_in(encounter.date, period):
                departments = days.setdefault(encounter.date, [])
                department = encounter.department or source.record.department
                if department and department not in departments:
                    departments.append(department)
    return {d: ", ".join(days[d]) or "-" for d in sorted(days)}


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = visits(institution, spec)
    if not found:
        return False
    pdf.start_form(institution.name, institution.code, "(통원확인서)")
    first, last = min(found), max(found)
    pdf.fields(
        [
            ("성명", pdf.cover.subject_name_masked),
            ("요양기관", institution.name),
            ("요양기관기호", institution.code),
            ("진료기간", span(spec.period_from or first, spec.period_to or last)),
            ("내원일수", f"{len(found)}일"),
            ("진료구분", "외래(통원)"),
        ]
    )
    pdf.heading("내원일자")
    rows = [(str(n), day(d), dept) for n, (d, dept) in enumerate(found.items(), 1)]
    pdf.grid(("번호", "내원일자", "진료과"), rows, (20, 60, 100))
    if spec.include_diagnoses:
        period = spec.period()
        draw_diagnoses(pdf, diagnoses_of(institution.sources, lambda d: visit_in(d, period)))
    pdf.fields([("용도", purpose)], columns=1)
    pdf.statement(STATEMENT)
    return True
