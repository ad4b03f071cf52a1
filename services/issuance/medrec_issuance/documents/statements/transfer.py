"""이관확인서: the receipt of a completed transfer (의료법 제40조의2), made of what
TransferCompleted said (`DocumentSpec.receipt`, `issuances.receipts.ReceiptFacts` as JSON), not of
records: the institution, the records received by kind, the service period, the manifest's
SHA-256, what was declared and not received (the first external ids, and how many more), and
when it was received. No person is named: the header shows the institution only. The footer is
every issued form's (number, code, QR to 진위확인)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from fpdf.enums import XPos, YPos

from ..cover import to_kst
from ..fonts import FONT
from ..labels import kind_label
from ..layout import BODY_SIZE, HEADING_FILL
from ..limits import CopyLimits
from ..models import CoverPage, DocumentSpec, RenderedCopy
from .page import FormPdf

TITLE: Final = "이관확인서"
STATEMENT: Final = (
    "위 의료기관이 폐업·휴업에 따라 이관한 진료기록을 위와 같이 받아 보관하고 있음을 확인합니다."
)
LAW: Final = "의료법 제40조의2에 따른 진료기록 이관"


class ReceiptPdf(FormPdf):
    """A form whose header names the institution that handed its records over, no person."""

    def header(self) -> None:
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, "B", 16)
        continued = "" if self.page == self.form_first_page else " (계속)"
        self.cell(0, 9, f"{self.form_title}{continued}", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY_SIZE)
        self.cell(0, 5, self.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)
        name, code = self.institution
        self.set_fill_color(*HEADING_FILL)
        self.cell(
            0,
            6.5,
            f" 이관기관 {name}     요양기관기호 {code}",
            fill=True,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(3)


def _period(facts: dict[str, Any]) -> str:
    start, end = facts.get("period_from"), facts.get("period_to")
    if not start and not end:
        return "-"
    return f"{start or '-'} ~ {end or '-'}"


def _received(facts: dict[str, Any]) -> str:
    moment = to_kst(datetime.fromisoformat(facts["received_at"]))
    return f"{moment:%Y-%m-%d %H:%M} (KST)"


def render_receipt(
    spec: DocumentSpec, cover: CoverPage, limits: CopyLimits | None = None
) -> RenderedCopy:
    """The unsigned receipt as PDF bytes."""
    limits = limits or CopyLimits()
    facts = spec.receipt
    if facts is None:
        raise ValueError("a transfer receipt is made of its facts")
    pdf = ReceiptPdf(cover, TITLE, max_pages=limits.pages)
    name, code = facts["institution_name"], facts["institution_code"]
    pdf.start_form(name, code, f"({LAW})")
    counts: dict[str, int] = facts.get("counts") or {}
    missing = int(facts.get("missing") or 0)
    pdf.fields(
        [
            ("이관기관", name),
            ("요양기관기호", code),
            ("진료기간", _period(facts)),
            ("접수일시", _received(facts)),
            ("이관 기록 수", f"{sum(counts.values()):,}건"),
            ("미이관 기록", f"{missing:,}건"),
        ]
    )
    pdf.heading("기록 종류별 건수")
    rows = [(kind_label(kind), f"{n:,}") for kind, n in sorted(counts.items())]
    rows.append(("합계", f"{sum(counts.values()):,}"))
    pdf.grid(("기록 종류", "건수"), rows, (130, 50), numeric=(1,), left=(0,), bold_last=True)
    pdf.heading("기록 목록(manifest) SHA-256")
    pdf.set_font(FONT, size=BODY_SIZE)
    digest = facts.get("manifest_sha256") or "기록 목록이 제출되지 않았습니다."
    pdf.multi_cell(0, 6, digest, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    if missing:
        listed: list[str] = facts.get("missing_ids") or []
        pdf.heading(f"이관되지 않은 기록 {missing:,}건 (신고된 기록 중 보관되지 않은 것)")
        id_rows = [(str(n), external_id) for n, external_id in enumerate(listed, 1)]
        if missing > len(listed):
            id_rows.append(("", f"외 {missing - len(listed):,}건"))
        pdf.grid(("번호", "기록 번호(external_id)"), id_rows, (20, 160), left=(1,))
    pdf.statement(STATEMENT)
    return RenderedCopy(
        pdf=bytes(pdf.output()), pages=pdf.page, cover_pages=0, record_pages=(pdf.page,)
    )
