"""입퇴원확인서: the stays in the period (admitted, discharged, days, department, room), an
institution a form; 상병 only on request. No form is prescribed; laid out as Korean hospitals
issue it. A stay's days count both ends (2024-03-02 ~ 2024-03-08 is 7일), as those forms do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from medrec_shared.rules.clinical import ROOM_CLASS, Admission
from medrec_shared.rules.documents import stay_in

from ..models import DocumentSpec
from .diagnoses import diagnoses_of, draw_diagnoses
from .page import FormPdf, day, span
from .sources import Institution, Source

STATEMENT = "위와 같이 입원 및 퇴원하였음을 확인합니다."


def stays(institution: Institution, spec: DocumentSpec) -> list[tuple[Source, Admission]]:
    period = spec.period()
    found = [
        (source, stay)
        for source in institution.sources
        for stay in source.content.admissions
        if stay_in(stay.admitted_on, stay.discharged_on, period)
    ]
    return sorted(found, key=lambda pair: pair[1].admitted_on)


def _row(number: int, source: Source, stay: Admission) -> tuple[str, ...]:
    if stay.discharged_on is None:
        days, discharged = "재원 중", "-"
    else:
        days = f"{(stay.discharged_on - stay.admitted_on).days + 1}일"
        discharged = day(stay.discharged_on)
    department = stay.department or source.record.department or "-"
    room = ROOM_CLASS[stay.room_class] if stay.room_class else "-"
    return (str(number), day(stay.admitted_on), discharged, days, department, room)


def _in_a_stay(found: list[tuple[Source, Admission]]) -> Callable[[date], bool]:
    spans = [(stay.admitted_on, stay.discharged_on or date.max) for _, stay in found]
    return lambda when: any(start <= when <= end for start, end in spans)


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = stays(institution, spec)
    if not found:
        return False
    pdf.start_form(institution.name, institution.code)
    first = min(s.admitted_on for _, s in found)
    ends = [s.discharged_on for _, s in found]
    last = None if None in ends else max(e for e in ends if e is not None)
    pdf.fields(
        [
            ("성명", pdf.cover.subject_name_masked),
            ("요양기관", institution.name),
            ("요양기관기호", institution.code),
            ("진료기간", span(spec.period_from or first, spec.period_to or last)),
            ("입원 횟수", f"{len(found)}회"),
            ("진료구분", "입원"),
        ]
    )
    pdf.heading("입원 및 퇴원")
    rows = [_row(n, source, stay) for n, (source, stay) in enumerate(found, 1)]
    headings = ("번호", "입원일", "퇴원일", "입원일수", "진료과", "병실")
    pdf.grid(headings, rows, (14, 32, 32, 24, 46, 32))
    if spec.include_diagnoses:
        draw_diagnoses(pdf, diagnoses_of((s for s, _ in found), _in_a_stay(found)))
    pdf.fields([("용도", purpose)], columns=1)
    pdf.statement(STATEMENT)
    return True
