"""The fpdf document of a certified copy and the drawing helpers its forms share."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode
from fpdf.line_break import Fragment

from .fonts import FONT, register_fonts
from .labels import kind_label, specialty_label
from .limits import OverLimit, too_many_pages
from .models import RecordDocument

MARGIN: Final = 15.0
BODY_SIZE: Final = 9.5
TABLE_SIZE: Final = 8.5
LINE: Final = 5.0
#: Table cells longer than this are moved to numbered notes under the table, so that no row
#: can outgrow a page (a table row never splits across pages).
CELL_LIMIT: Final = 180

HEADING_FILL: Final = (232, 237, 245)
SECTION_FILL: Final = (214, 224, 240)
GREY: Final = (110, 110, 110)


def fmt_date(value: date | None) -> str:
    return value.isoformat() if value else "-"


def fmt_decimal(value: Decimal) -> str:
    """``Decimal("6.50")`` → ``"6.5"``, ``Decimal("1E+2")`` → ``"100"``."""
    return format(value.normalize(), "f")


def or_dash(value: object) -> str:
    if value is None:
        return "-"
    text = str(value).strip()
    return text or "-"


#: The last resort, for characters no embedded face has: BULLET OPERATOR ∙ (neither NanumGothic
#: nor Noto Sans) is drawn as the MIDDLE DOT · both have.
_SUBSTITUTES: Final = {"\u2219": "\u00b7"}


def _substitute(ch: str, shown: Callable[[str], bool]) -> str:
    candidate = _SUBSTITUTES.get(ch) or unicodedata.normalize("NFKC", ch)
    return candidate if candidate and all(shown(c) for c in candidate) else ch


class CopyPdf(FPDF):
    """A4 portrait with the issuance number and page x/y in every footer.

    While a record is being rendered, pages after its first carry a one-line running header.
    No page is added beyond ``max_pages``: a long text or a many-paged source stops there
    (`OverLimit`) instead of growing the document without end.
    """

    def __init__(self, issuance_number: str, max_pages: int | None = None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.issuance_number = issuance_number
        self.max_pages = max_pages
        self.running_header: str | None = None
        self.record_first_page = 0
        register_fonts(self)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_lang("ko")
        self.set_creator("medrec issuance")
        self.set_title(f"진료기록 사본 {issuance_number}")
        self.set_font(FONT, size=BODY_SIZE)

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        # Every page goes through here, automatic page breaks included.
        if self.max_pages is not None and self.page >= self.max_pages:
            raise OverLimit(too_many_pages(self.max_pages))
        super().add_page(*args, **kwargs)

    def normalize_text(self, text: str) -> str:
        """Characters the current face lacks are drawn by fpdf2 from the fallback face (fonts.py),
        as themselves; only one neither face has is shown by an equivalent one of them has,
        where one exists; the rest stay as they are (fpdf logs them)."""
        cmap = getattr(self.current_font, "cmap", None)
        if cmap and not all(ord(ch) in cmap for ch in text):
            text = "".join(ch if self._shown(ch) else _substitute(ch, self._shown) for ch in text)
        return super().normalize_text(text)

    def _parse_chars(self, text: str, markdown: bool, **kwargs: Any) -> Iterator[Fragment]:
        """fpdf2 splits text into fragments character by character (looking for a fallback face
        and a change of script at each) whenever fallback faces are set: about a tenth of a
        copy's render. Text the current face draws whole needs no fallback, and fpdf2's own
        path for a document without fallback faces makes the same line of it at once."""
        cmap = getattr(self.current_font, "cmap", None)
        if markdown or not cmap or not all(ord(ch) in cmap for ch in text):
            return super()._parse_chars(text, markdown, **kwargs)
        fallback, self._fallback_font_ids = self._fallback_font_ids, []
        try:
            return iter(tuple(super()._parse_chars(text, markdown, **kwargs)))
        finally:
            self._fallback_font_ids = fallback

    def _shown(self, ch: str) -> bool:
        """Whether the current face or a fallback face has a glyph for `ch`."""
        cmap = getattr(self.current_font, "cmap", None) or {}
        return ord(ch) in cmap or self.get_fallback_font(ch, self.font_style) is not None

    def header(self) -> None:
        if self.running_header and self.page != self.record_first_page:
            self.set_font(FONT, size=7.5)
            self.set_text_color(*GREY)
            self.cell(0, 4, self.running_header, new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(200, 200, 200)
            self.line(MARGIN, self.get_y() + 0.5, self.w - MARGIN, self.get_y() + 0.5)
            self.set_y(self.get_y() + 3)
            self.set_text_color(0, 0, 0)
            self.set_font(FONT, size=BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_draw_color(190, 190, 190)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"발급번호 {self.issuance_number}", align="L")
        self.set_x(MARGIN)
        self.cell(0, 6, "진료기록 사본", align="C")
        self.set_x(MARGIN)
        self.cell(0, 6, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # --- text -------------------------------------------------------------------------------

    def text_block(self, text: str, *, size: float = BODY_SIZE, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)

    def section(self, title: str) -> None:
        if self.will_page_break(22):
            self.add_page()
        self.ln(3)
        self.set_fill_color(*SECTION_FILL)
        self.set_font(FONT, "B", 10.5)
        self.cell(0, 7, f" {title}", fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        self.set_font(FONT, size=BODY_SIZE)

    def subsection(self, title: str) -> None:
        if self.will_page_break(18):
            self.add_page()
        self.ln(1.5)
        self.set_font(FONT, "B", BODY_SIZE + 0.5)
        self.multi_cell(0, 5.5, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)

    def empty_note(self, text: str = "기록 없음") -> None:
        self.set_text_color(*GREY)
        self.text_block(text, size=TABLE_SIZE)
        self.set_text_color(0, 0, 0)

    def bullets(self, items: Sequence[str]) -> None:
        if not items:
            self.empty_note()
            return
        for item in items:
            self.set_x(MARGIN + 2)
            self.multi_cell(0, 5, f"• {item}", new_x="LMARGIN", new_y="NEXT")

    def key_values(self, pairs: Sequence[tuple[str, str]], *, key_width: float = 32) -> None:
        """A two-column table of labels and values."""
        widths = (key_width, self.epw - key_width)
        self.set_font(FONT, size=BODY_SIZE)
        self.set_fill_color(255, 255, 255)  # fpdf tables fill body cells with the current colour
        with self.table(
            col_widths=widths,
            width=self.epw,
            first_row_as_headings=False,
            line_height=5.5,
            text_align="LEFT",
            padding=(1, 2),
        ) as table:
            for key, value in pairs:
                row = table.row()
                row.cell(key, style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL))
                row.cell(value)

    def data_table(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence[str]],
        widths: Sequence[float],
        *,
        empty: str = "기록 없음",
    ) -> None:
        """A table with repeated headings; over-long cells become numbered notes beneath."""
        materialised = [list(r) for r in rows]
        if not materialised:
            self.empty_note(empty)
            return
        notes: list[str] = []
        for row_cells in materialised:
            for i, value in enumerate(row_cells):
                if len(value) > CELL_LIMIT:
                    notes.append(value)
                    row_cells[i] = f"※ 주 {len(notes)} 참조"
        if self.will_page_break(16):
            self.add_page()
        self.set_font(FONT, size=TABLE_SIZE)
        self.set_fill_color(255, 255, 255)  # fpdf tables fill body cells with the current colour
        with self.table(
            col_widths=widths,
            width=self.epw,
            line_height=4.4,
            text_align="LEFT",
            padding=(1, 1.5),
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
            cell_fill_mode=TableCellFillMode.NONE,
            repeat_headings=1,
        ) as table:
            heading = table.row()
            for title in headings:
                heading.cell(title)
            for row_cells in materialised:
                row = table.row()
                for value in row_cells:
                    row.cell(value)
        for number, note in enumerate(notes, start=1):
            self.ln(1)
            self.text_block(f"[주 {number}] {note}", size=TABLE_SIZE)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(1)

    # --- records ----------------------------------------------------------------------------

    def start_record(self, record: RecordDocument, position: int, total: int) -> None:
        """New page with the record's header block; later pages get a running header."""
        self.running_header = (
            f"[문서 {position}/{total}] {record.institution_name} · {kind_label(record.kind)} · "
            f"{record.title} (계속)"
        )
        self.record_first_page = self.page + 1
        self.add_page()
        self.record_header(record, position, total)

    def record_header(self, record: RecordDocument, position: int, total: int) -> None:
        top = self.get_y()
        self.set_draw_color(150, 160, 180)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        self.cell(0, 4, f"문서 {position} / {total}", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, "B", 12)
        self.set_x(MARGIN + 2)
        self.multi_cell(self.epw - 4, 6.5, record.title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)
        kind, specialty = kind_label(record.kind), specialty_label(record.specialty)
        lines = [
            f"기관: {record.institution_name} (요양기관기호 {record.institution_code})",
            f"기록 종류: {kind}    진료 분야: {specialty}"
            f"    진료과목: {or_dash(record.department)}",
            f"기간: {fmt_date(record.service_start)} ~ {fmt_date(record.service_end)}"
            f"    기록번호: {record.record_id}",
        ]
        for line in lines:
            self.set_x(MARGIN + 2)
            self.multi_cell(self.epw - 4, 5, line, new_x="LMARGIN", new_y="NEXT")
        bottom = self.get_y() + 1.5
        self.rect(MARGIN, top - 1, self.epw, bottom - top + 1)
        self.set_y(bottom + 3)

    def end_record(self) -> None:
        self.running_header = None
