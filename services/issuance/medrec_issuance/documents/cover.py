"""The cover page: issuance facts, QR code to the verify URL, the list of documents, legal note."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import qrcode
from fpdf import FontFace
from PIL import Image

from medrec_shared.platform.clock import KST

from .fonts import FONT
from .labels import kind_label, specialty_label
from .layout import BODY_SIZE, GREY, HEADING_FILL, MARGIN, TABLE_SIZE, CopyPdf, fmt_date
from .models import CoverPage, RecordDocument

QR_SIZE: Final = 38.0

LEGAL_NOTES: Final = (
    "이 사본은 「의료법」 제40조의3에 따라 진료기록보관시스템에 보관된 진료기록을 발급한 것으로, "
    "기록의 형식은 보관시스템이 변환하였으나 그 정보는 변경되지 않았습니다.",
    "이 문서에는 발급기관의 전자서명이 포함되어 있습니다(「의료법」 제21조제5항). "
    "문서가 한 글자라도 변경되면 서명 검증에 실패합니다.",
    "진위 여부는 QR 코드 또는 아래 주소에서 발급번호와 검증코드로 확인할 수 있습니다.",
)


def to_kst(moment: datetime) -> datetime:
    """``moment`` in Asia/Seoul; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(KST)


def issued_text(moment: datetime) -> str:
    local = to_kst(moment)
    return f"{local.year}년 {local.month:02d}월 {local.day:02d}일 {local:%H:%M} (KST)"


def qr_image(url: str) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("1")


def render_cover(pdf: CopyPdf, cover: CoverPage, records: Sequence[RecordDocument]) -> None:
    """Cover page(s); the documents table continues on further pages when long."""
    pdf.add_page()
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 12, "진료기록 사본 발급", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 5, "전자서명된 전자문서", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(5)

    top = pdf.get_y()
    qr_x = pdf.w - MARGIN - QR_SIZE
    pdf.image(qr_image(cover.verify_url), x=qr_x, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(qr_x - 4, top + QR_SIZE + 0.5)
    pdf.set_font(FONT, size=7.5)
    pdf.cell(QR_SIZE + 8, 4, "진위확인 QR 코드", align="C")

    table_width = qr_x - MARGIN - 6
    pdf.set_xy(MARGIN, top)
    pdf.set_font(FONT, size=BODY_SIZE + 0.5)
    pdf.set_fill_color(255, 255, 255)
    pairs = [
        ("발급번호", cover.issuance_number),
        ("검증코드", cover.verification_code),
        ("발급일시", issued_text(cover.issued_at)),
        ("성명", cover.subject_name_masked),
        ("기관", "\n".join(cover.institutions) or "-"),
        ("문서 수", f"{len(records)}건"),
    ]
    with pdf.table(
        col_widths=(26, table_width - 26),
        width=table_width,
        align="LEFT",
        first_row_as_headings=False,
        line_height=6,
        text_align="LEFT",
        padding=(1, 2),
    ) as table:
        for key, value in pairs:
            row = table.row()
            row.cell(key, style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL))
            bold = key in ("발급번호", "검증코드")
            row.cell(value, style=FontFace(emphasis="BOLD") if bold else None)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE + 5) + 4)

    pdf.section("발급 문서 목록")
    rows = [
        (
            str(i),
            r.institution_name,
            kind_label(r.kind),
            " / ".join(x for x in (specialty_label(r.specialty), r.department) if x),
            r.title,
            f"{fmt_date(r.service_start)}\n~ {fmt_date(r.service_end)}",
        )
        for i, r in enumerate(records, 1)
    ]
    pdf.data_table(
        ("번호", "기관", "기록 종류", "진료과목", "제목", "기간"), rows, (7, 22, 22, 17, 27, 18)
    )

    pdf.ln(3)
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.set_font(FONT, size=TABLE_SIZE)
    for number, note in enumerate(LEGAL_NOTES, 1):
        pdf.multi_cell(0, 4.6, f"{number}. {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", TABLE_SIZE)
    pdf.multi_cell(0, 5, f"진위확인: {cover.verify_url}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=BODY_SIZE)
