"""The page every issued form is drawn on: A4, the form's title, the person (masked name) and the
institution (name, 요양기관기호) at the top of every page, and at the bottom of every page the
issuance block: 발급번호, 검증코드, the QR code to the 진위확인 page, the issue date and the
statement that the document was made from records a closed clinic transferred.

The top and bottom are drawn by fpdf's header and footer, so a table that runs over a page
carries them too (and its own headings, repeated): no page of a form can be read without them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Final

from fpdf import FontFace
from fpdf.enums import TableCellFillMode

from ..cover import qr_image, to_kst
from ..fonts import FONT
from ..layout import BODY_SIZE, GREY, HEADING_FILL, MARGIN, CopyPdf
from ..models import CoverPage

ISSUER_STATEMENT: Final = (
    "이 서류는 폐업·휴업 의료기관이 이관한 진료기록에 근거하여 진료기록보관시스템이 발급하였습니다."
)
FOOTER_HEIGHT: Final = 31.0
QR_SIZE: Final = 22.0
SMALL: Final = 7.5
RIGHT: Final = "RIGHT"

#: A heading cell: its text, the columns and the rows it spans.
Span = tuple[str, int, int]


def won(amount: int | None) -> str:
    """``1234500`` → ``"1,234,500"``; none → ``""`` (a blank cell, as on the paper form)."""
    return "" if amount is None else f"{amount:,}"


def day(value: date | None) -> str:
    return value.isoformat() if value else "-"


def span(start: date | None, end: date | None) -> str:
    return f"{day(start)} ~ {day(end)}"


def _align(column: int, numeric: Sequence[int], left: Sequence[int]) -> str:
    return RIGHT if column in numeric else "LEFT" if column in left else "CENTER"


class FormPdf(CopyPdf):
    """One issued document: its forms follow one another, each from a new page (`start_form`),
    each page headed by the title and the person and institution of the form on it."""

    def __init__(self, cover: CoverPage, title: str, max_pages: int | None = None) -> None:
        super().__init__(cover.issuance_number, max_pages=max_pages)
        self.cover = cover
        self.form_title = title
        self.subtitle = ""
        self.institution = ("", "")
        self.form_first_page = 0
        self.set_title(f"{title} {cover.issuance_number}")
        self.set_subject(f"발급번호 {cover.issuance_number}")
        self.set_creation_date(to_kst(cover.issued_at))
        self.set_auto_page_break(auto=True, margin=FOOTER_HEIGHT + 4)
        buffer = io.BytesIO()
        qr_image(cover.verify_url).save(buffer, format="PNG")
        self._qr = buffer.getvalue()  # one image, embedded once, drawn on every page

    def start_form(self, institution_name: str, institution_code: str, subtitle: str = "") -> None:
        """A new page for the next form (a receipt per bill, a confirmation per institution)."""
        self.institution = (institution_name, institution_code)
        self.subtitle = subtitle
        self.form_first_page = self.page + 1
        self.add_page()

    # -- every page ---------------------------------------------------------------------------
    def header(self) -> None:
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, "B", 16)
        continued = "" if self.page == self.form_first_page else " (계속)"
        self.cell(0, 9, f"{self.form_title}{continued}", align="C", new_x="LMARGIN", new_y="NEXT")
        if self.subtitle:
            self.set_font(FONT, size=BODY_SIZE)
            self.cell(0, 5, self.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        name, code = self.institution
        self.set_font(FONT, size=BODY_SIZE)
        self.set_fill_color(*HEADING_FILL)
        self.cell(
            0,
            6.5,
            f" 성명 {self.cover.subject_name_masked}     요양기관 {name}     요양기관기호 {code}",
            fill=True,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(3)

    def footer(self) -> None:
        top = self.h - FOOTER_HEIGHT
        self.set_draw_color(150, 150, 150)
        self.line(MARGIN, top, self.w - MARGIN, top)
        self.image(self._qr, x=MARGIN, y=top + 2.5, w=QR_SIZE, h=QR_SIZE)
        left = MARGIN + QR_SIZE + 4
        cover = self.cover
        issued = to_kst(cover.issued_at).date()
        lines = (
            ("B", f"발급번호 {cover.issuance_number}    검증코드 {cover.verification_code}"),
            ("", f"발급일 {issued.isoformat()}    발급기관 진료기록보관시스템"),
            ("", ISSUER_STATEMENT),
            ("", f"진위확인: QR 코드 또는 {cover.verify_url}"),
        )
        self.set_xy(left, top + 3)
        for style, text in lines:
            self.set_font(FONT, style, SMALL)
            self.set_x(left)
            self.multi_cell(self.w - MARGIN - left, 4, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=SMALL)
        self.set_text_color(*GREY)
        self.set_xy(left, self.h - 8)
        self.cell(self.w - MARGIN - left, 4, f"{self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- drawing ------------------------------------------------------------------------------
    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        left: Sequence[int] = (),
        bold_last: bool = False,
        size: float = 8.0,
        heading_rows: Sequence[Sequence[Span]] = (),
    ) -> None:
        """A ruled table whose headings repeat on every page it runs over; the columns in
        ``numeric`` are right-aligned (amounts, counts), those in ``left`` left-aligned (names),
        the rest centred; ``bold_last``: a totals row.
        ``heading_rows``, when given, replace ``headings``: grouped headings, as the paper
        forms have them, each ``(text, colspan, rowspan)``."""
        spans = heading_rows or [[(title, 1, 1) for title in headings]]
        self.set_font(FONT, size=size)
        self.set_fill_color(255, 255, 255)
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            align="LEFT",
            line_height=size * 0.52,
            text_align="CENTER",
            padding=(0.7, 1),
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
            cell_fill_mode=TableCellFillMode.NONE,
            num_heading_rows=len(spans),
            repeat_headings=1,
        ) as table:
            for heading_row in spans:
                heading = table.row()
                for title, colspan, rowspan in heading_row:
                    heading.cell(title, colspan=colspan, rowspan=rowspan)
            for index, cells in enumerate(rows):
                last = bold_last and index == len(rows) - 1
                style = FontFace(emphasis="BOLD", fill_color=HEADING_FILL) if last else None
                row = table.row(style=style)
                for column, value in enumerate(cells):
                    row.cell(value, align=_align(column, numeric, left))
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(2)

    def fields(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        columns: int = 2,
        label: float = 24.0,
        size: float = BODY_SIZE,
        amounts: bool = False,
    ) -> None:
        """Labelled values, ``columns`` pairs a row, as the header block of a paper form;
        ``amounts``: the values right-aligned, as sums of money are."""
        value = self.epw / columns - label
        self.set_font(FONT, size=size)
        self.set_fill_color(255, 255, 255)
        with self.table(
            col_widths=(label, value) * columns,
            width=self.epw,
            align="LEFT",
            first_row_as_headings=False,
            line_height=size * 0.55,
            text_align="LEFT",
            padding=(1, 1.5),
        ) as table:
            for start in range(0, len(pairs), columns):
                row = table.row()
                chunk = list(pairs[start : start + columns])
                chunk += [("", "")] * (columns - len(chunk))
                for key, text in chunk:
                    row.cell(key, style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL))
                    row.cell(text, align=RIGHT if amounts else None)
        self.set_font(FONT, size=BODY_SIZE)
        self.ln(3)

    def heading(self, text: str) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.set_font(FONT, "B", BODY_SIZE + 1)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)

    def statement(self, text: str) -> None:
        """The closing sentence of a form, the day it was issued and by whom."""
        if self.will_page_break(30):
            self.add_page()
        when = to_kst(self.cover.issued_at).date()
        self.ln(4)
        self.set_font(FONT, size=BODY_SIZE + 1)
        self.multi_cell(0, 6, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.cell(0, 6, f"{when.year}년 {when.month}월 {when.day}일", align="C")
        self.ln(7)
        self.set_font(FONT, "B", BODY_SIZE + 1)
        self.cell(0, 6, "진료기록보관시스템 (전자서명)", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)
