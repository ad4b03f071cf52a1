"""The dental tooth chart, drawn in FDI layout.

Seen from the front, the patient's right is on the viewer's left::

    18 … 11 | 21 … 28      (primary: 55 … 51 | 61 … 65)
    48 … 41 | 31 … 38      (primary: 85 … 81 | 71 … 75)

Teeth with entries are shaded and carry a note number; the notes follow as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from medrec_shared.rules.clinical import ToothEntry

from .fonts import FONT
from .layout import GREY, MARGIN, TABLE_SIZE, CopyPdf

BOX_W: Final = 10.0
BOX_H: Final = 11.0
MID_GAP: Final = 3.0
FINDING_FILL: Final = (252, 216, 190)
PROCEDURE_FILL: Final = (206, 226, 250)

PERMANENT_ROWS: Final = (
    ([18, 17, 16, 15, 14, 13, 12, 11], [21, 22, 23, 24, 25, 26, 27, 28]),
    ([48, 47, 46, 45, 44, 43, 42, 41], [31, 32, 33, 34, 35, 36, 37, 38]),
)
PRIMARY_ROWS: Final = (
    ([55, 54, 53, 52, 51], [61, 62, 63, 64, 65]),
    ([85, 84, 83, 82, 81], [71, 72, 73, 74, 75]),
)


def _chart_order(tooth: int) -> tuple[int, int]:
    """Notes follow the chart: upper right, upper left, lower left, lower right; primary last."""
    quadrant, position = divmod(tooth, 10)
    return (quadrant, position)


def _draw_arch(
    pdf: CopyPdf,
    rows: Sequence[tuple[list[int], list[int]]],
    entries: dict[int, ToothEntry],
    notes: dict[int, int],
) -> None:
    per_side = len(rows[0][0])
    width = 2 * per_side * BOX_W + MID_GAP
    left = MARGIN + (pdf.epw - width) / 2
    top = pdf.get_y() + 5
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*GREY)
    pdf.set_xy(left - 12, top + BOX_H - 2.5)
    pdf.cell(11, 5, "우(R)", align="R")
    pdf.set_xy(left + width + 1, top + BOX_H - 2.5)
    pdf.cell(11, 5, "좌(L)", align="L")
    pdf.set_xy(left, top - 5)
    pdf.cell(width, 4.5, "상악", align="C")
    pdf.set_xy(left, top + 2 * BOX_H + 0.5)
    pdf.cell(width, 4.5, "하악", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(90, 90, 90)
    for row_index, (right_side, left_side) in enumerate(rows):
        y = top + row_index * BOX_H
        for side_index, teeth in enumerate((right_side, left_side)):
            x0 = left + side_index * (per_side * BOX_W + MID_GAP)
            for i, tooth in enumerate(teeth):
                _draw_tooth(pdf, x0 + i * BOX_W, y, tooth, entries.get(tooth), notes.get(tooth))
    pdf.set_line_width(0.6)
    mid_x = left + per_side * BOX_W + MID_GAP / 2
    pdf.line(mid_x, top, mid_x, top + 2 * BOX_H)
    pdf.line(left - 1, top + BOX_H, left + width + 1, top + BOX_H)
    pdf.set_line_width(0.2)
    pdf.set_y(top + 2 * BOX_H + 7)


def _draw_tooth(
    pdf: CopyPdf, x: float, y: float, tooth: int, entry: ToothEntry | None, note: int | None
) -> None:
    style = "D"
    if entry is not None:
        pdf.set_fill_color(*(FINDING_FILL if entry.findings else PROCEDURE_FILL))
        style = "DF"
    pdf.rect(x, y, BOX_W, BOX_H, style=style)
    pdf.set_font(FONT, "B" if entry else "", 8)
    pdf.set_xy(x, y + 0.8)
    pdf.cell(BOX_W, 4, str(tooth), align="C")
    if note is not None:
        pdf.set_font(FONT, "B", 7)
        pdf.set_text_color(170, 40, 20)
        pdf.set_xy(x, y + 5.6)
        pdf.cell(BOX_W, 4, f"({note})", align="C")
        pdf.set_text_color(0, 0, 0)


def _legend(pdf: CopyPdf) -> None:
    pdf.set_font(FONT, size=7.5)
    x = MARGIN
    y = pdf.get_y()
    for fill, label in ((FINDING_FILL, "소견 있음"), (PROCEDURE_FILL, "처치만 있음")):
        pdf.set_fill_color(*fill)
        pdf.rect(x, y + 1, 4, 3, style="DF")
        pdf.set_xy(x + 5, y)
        pdf.cell(22, 5, label)
        x += 28
    pdf.set_xy(x, y)
    pdf.cell(0, 5, "(n) 아래 표의 번호. 치아번호는 FDI 표기(영구치 11–48, 유치 51–85).")
    pdf.set_y(y + 7)


def draw_tooth_chart(pdf: CopyPdf, chart: Sequence[ToothEntry]) -> None:
    """Permanent arch always; primary arch when the chart has a primary tooth; then notes."""
    entries = {e.tooth: e for e in chart}
    ordered = sorted(entries, key=_chart_order)
    notes = {tooth: n for n, tooth in enumerate(ordered, start=1)}
    has_primary = any(t >= 51 for t in entries)
    needed = (2 * BOX_H + 14) * (2 if has_primary else 1) + 10
    if pdf.will_page_break(needed):
        pdf.add_page()
    pdf.set_font(FONT, "B", 8.5)
    pdf.cell(0, 5, "영구치", new_x="LMARGIN", new_y="NEXT")
    _draw_arch(pdf, PERMANENT_ROWS, entries, notes)
    if has_primary:
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(0, 5, "유치", new_x="LMARGIN", new_y="NEXT")
        _draw_arch(pdf, PRIMARY_ROWS, entries, notes)
    _legend(pdf)
    rows = [
        (
            f"({notes[t]})",
            str(t),
            "\n".join(entries[t].findings) or "-",
            "\n".join(entries[t].procedures) or "-",
        )
        for t in ordered
    ]
    pdf.set_font(FONT, size=TABLE_SIZE)
    pdf.data_table(("번호", "치아", "소견", "처치"), rows, (8, 8, 42, 42), empty="치아 기록 없음")
