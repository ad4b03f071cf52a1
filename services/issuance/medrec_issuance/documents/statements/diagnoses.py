"""상병명 and 상병코드 on a confirmation: printed only when the citizen asked for them
(`include_diagnoses`), and then only those of the records the confirmation is made of, dated on
a day it confirms (in the period; in a stay) or undated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from medrec_shared.rules.clinical import Diagnosis

from .page import FormPdf, day
from .sources import Source


def diagnoses_of(sources: Iterable[Source], confirms: Callable[[date], bool]) -> list[Diagnosis]:
    """Each (code, name) once, primary diagnoses first, in record order otherwise."""
    seen: dict[tuple[str, str], Diagnosis] = {}
    for source in sources:
        for diagnosis in source.content.diagnoses:
            if diagnosis.date is not None and not confirms(diagnosis.date):
                continue
            seen.setdefault((diagnosis.code, diagnosis.name), diagnosis)
    return sorted(seen.values(), key=lambda d: not d.primary)


def draw_diagnoses(pdf: FormPdf, diagnoses: list[Diagnosis]) -> None:
    pdf.heading("상병")
    rows = [("주상병" if d.primary else "부상병", d.name, d.code, day(d.date)) for d in diagnoses]
    if not rows:
        rows = [("-", "기록된 상병 없음", "-", "-")]
    pdf.grid(("구분", "상병명", "상병코드(KCD)", "진단일"), rows, (20, 90, 35, 35), left=(1,))
