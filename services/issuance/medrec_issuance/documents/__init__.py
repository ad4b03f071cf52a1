"""Certified copies (진료기록 사본): rendering in Korean, PAdES signing and verification.

copy = render_copy(CoverPage(...), [RecordDocument(...), ...])   # RenderedCopy
signed = sign_pdf(copy.pdf, IssuerSigner.from_pem(key_pem, cert_pem))
check = verify_pdf(signed, cert_pem)                              # PdfCheck
"""

from .labels import (
    KIND_LABELS,
    SEX_LABELS,
    SPECIALTY_LABELS,
    kind_label,
    sex_label,
    specialty_label,
)
from .models import CoverPage, PdfCheck, RecordDocument, RenderedCopy
from .render import render_copy
from .signing import IssuerSigner, create_self_signed_issuer, sign_pdf, verify_pdf

__all__ = [
    "KIND_LABELS",
    "SEX_LABELS",
    "SPECIALTY_LABELS",
    "CoverPage",
    "IssuerSigner",
    "PdfCheck",
    "RecordDocument",
    "RenderedCopy",
    "create_self_signed_issuer",
    "kind_label",
    "render_copy",
    "sex_label",
    "sign_pdf",
    "specialty_label",
    "verify_pdf",
]
