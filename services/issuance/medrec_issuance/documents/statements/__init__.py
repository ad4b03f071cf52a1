"""The documents made from a structured record's entries (`DocumentType` other than
`record_copy`): 진료확인서, 입퇴원확인서, 진료비 계산서·영수증, 진료비 세부산정내역, 진료비
납입확인서, 처방전 사본; and a transfer's 이관확인서 (`transfer`), made of its facts alone. One
module per form; `render_document` picks the form, draws one per
institution (a receipt and an itemised bill per bill, a prescription per day prescribed), and
refuses with `NothingToShow` when the records hold nothing for it in the period.

rendered = render_document(DocumentSpec("receipt", date(2024, 1, 1), date(2024, 12, 31)),
                           cover, records, limits)            # RenderedCopy, unsigned
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from medrec_shared.rules.documents import DocumentType, document_label, nothing_to_show

from ..limits import CopyLimits
from ..models import CoverPage, DocumentSpec, RecordDocument, RenderedCopy
from . import admission, itemised, payments, prescription, receipt, treatment
from .page import FormPdf
from .sources import Institution, NothingToShow, by_institution
from .transfer import render_receipt

__all__ = ["NothingToShow", "render_document"]

Form = Callable[[FormPdf, Institution, DocumentSpec, str], bool]

FORMS: Final[dict[DocumentType, Form]] = {
    DocumentType.treatment_confirmation: treatment.draw,
    DocumentType.admission_confirmation: admission.draw,
    DocumentType.receipt: receipt.draw,
    DocumentType.itemised_bill: itemised.draw,
    DocumentType.payment_confirmation: payments.draw,
    DocumentType.prescription: prescription.draw,
}
DEFAULT_PURPOSE: Final = {DocumentType.payment_confirmation: "소득공제 신청용"}


def render_document(
    spec: DocumentSpec,
    cover: CoverPage,
    records: Sequence[RecordDocument],
    limits: CopyLimits | None = None,
) -> RenderedCopy:
    """The unsigned document as PDF bytes. Raises `NothingToShow` when the records hold nothing
    for it, `OverLimit` past ``limits.pages``, ``ValueError`` for a type that is not made here."""
    limits = limits or CopyLimits()
    kind = DocumentType(spec.document_type)
    if kind == DocumentType.transfer_receipt:  # made of the transfer's facts, not of records
        return render_receipt(spec, cover, limits)
    form = FORMS.get(kind)
    if form is None:
        raise ValueError(f"{spec.document_type} is not made from entries")
    pdf = FormPdf(cover, document_label(kind), max_pages=limits.pages)
    purpose = spec.purpose or DEFAULT_PURPOSE.get(kind, "제출용")
    drawn = [form(pdf, institution, spec, purpose) for institution in by_institution(records)]
    if not any(drawn):
        raise NothingToShow(nothing_to_show(kind, spec.period()))
    return RenderedCopy(
        pdf=bytes(pdf.output()), pages=pdf.page, cover_pages=0, record_pages=(pdf.page,)
    )
