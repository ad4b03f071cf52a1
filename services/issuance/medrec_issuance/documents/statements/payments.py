"""진료비 납입확인서 (소득세법 시행규칙 별지 제12호의2 서식의 쓰임: 연말정산 의료비 공제):
the payments made in the period (a calendar year, as a rule) to one institution, a row each
(납입일자, 영수증번호, 진료구분, 결제수단, 납입금액), and their total."""

from __future__ import annotations

from datetime import date

from medrec_shared.rules.clinical import PAYMENT_METHOD_LABELS, Bill, BillVisit, Payment
from medrec_shared.rules.documents import payment_in

from ..models import DocumentSpec
from .page import FormPdf, day, span, won
from .sources import Institution

STATEMENT = "위와 같이 진료비를 납입하였음을 확인합니다."


def payments(institution: Institution, spec: DocumentSpec) -> list[tuple[Bill, Payment]]:
    period = spec.period()
    found = [
        (bill, payment)
        for source in institution.sources
        for bill in source.content.bills
        for payment in bill.payments
        if payment_in(payment.paid_on, period)
    ]
    return sorted(found, key=lambda pair: (pair[1].paid_on, pair[0].number))


def _period(spec: DocumentSpec, found: list[tuple[Bill, Payment]]) -> tuple[date, date]:
    days = [payment.paid_on for _, payment in found]
    return spec.period_from or min(days), spec.period_to or max(days)


def draw(pdf: FormPdf, institution: Institution, spec: DocumentSpec, purpose: str) -> bool:
    found = payments(institution, spec)
    if not found:
        return False
    pdf.start_form(institution.name, institution.code, "(소득공제 신청용)")
    total = sum(payment.amount for _, payment in found)
    pdf.fields(
        [
            ("성명", pdf.cover.subject_name_masked),
            ("납입기간", span(*_period(spec, found))),
            ("요양기관", institution.name),
            ("요양기관기호", institution.code),
            ("납입 건수", f"{len(found)}건"),
            ("납입 금액 합계", f"{won(total)} 원"),
        ]
    )
    pdf.heading("납입 내역")
    rows = [
        (
            str(n),
            day(payment.paid_on),
            bill.number,
            "입원" if bill.visit == BillVisit.inpatient else "외래",
            PAYMENT_METHOD_LABELS[payment.method],
            won(payment.amount),
        )
        for n, (bill, payment) in enumerate(found, 1)
    ]
    rows.append(("합계", "", "", "", "", won(total)))
    headings = ("번호", "납입일자", "영수증번호", "진료구분", "결제수단", "납입금액(원)")
    pdf.grid(headings, rows, (14, 30, 42, 22, 30, 42), numeric=(5,), bold_last=True)
    pdf.fields([("용도", purpose)], columns=1)
    pdf.statement(STATEMENT)
    return True
