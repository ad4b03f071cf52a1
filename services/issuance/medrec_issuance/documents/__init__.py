"""Certified copies (진료기록 사본): rendering in Korean, PAdES signing and verification.

copy = render_copy(CoverPage(...), [RecordDocument(...), ...])   # RenderedCopy
signed = sign_pdf(copy.pdf, IssuerSigner.from_pem(key_pem, cert_pem))
check = verify_pdf(signed, cert_pem)                              # PdfCheck

The other documents (진료확인서, 영수증, …) are made of the same records' entries:
made = render_document(DocumentSpec("receipt", start, end), cover, records)  # or NothingToShow
"""

from .labels import (
    KIND_LABELS,
    SEX_LABELS,
    SPECIALTY_LABELS,
    kind_label,
    sex_label,
    specialty_label,
)
from .models import CoverPage, DocumentSpec, PdfCheck, RecordDocument, RenderedCopy
from .render import render_copy
from .signing import IssuerSigner, create_self_signed_issuer, sign_pdf, verify_pdf
from .statements import NothingToShow, render_document

__all__ = [
    "KIND_LABELS",
    "SEX_LABELS",
    "SPECIALTY_LABELS",
    "CoverPage",
    "DocumentSpec",
    "IssuerSigner",
    "NothingToShow",
    "PdfCheck",
    "RecordDocument",
    "RenderedCopy",
    "create_self_signed_issuer",
    "kind_label",
    "render_copy",
    "render_document",
    "sex_label",
    "sign_pdf",
    "specialty_label",
    "verify_pdf",
]
