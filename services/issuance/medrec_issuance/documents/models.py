"""Inputs and outputs of certified-copy rendering and signing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from medrec_shared.rules.documents import DocumentType, Period


@dataclass(frozen=True, slots=True)
class CoverPage:
    """What the cover page shows. ``issued_at`` should be timezone-aware (naive means UTC)."""

    issuance_number: str
    verification_code: str
    verify_url: str
    issued_at: datetime
    subject_name_masked: str
    institutions: list[str]


@dataclass(frozen=True, slots=True)
class RecordDocument:
    """One record to include. ``size`` and ``sha256`` are the stored content's, as ingest
    announced them; ``content`` is the content itself when it is rendered (``render.is_rendered``)
    and None when it is only listed, which is never read."""

    record_id: str
    institution_name: str
    institution_code: str
    kind: str
    specialty: str
    title: str
    service_start: date
    service_end: date
    department: str | None
    content_type: str
    size: int
    sha256: str
    content: bytes | None = None


@dataclass(frozen=True, slots=True)
class RenderedCopy:
    """An unsigned certified copy.

    ``pages == cover_pages + sum(record_pages)``; ``record_pages[i]`` is the number of pages
    record ``i`` occupies (in input order, which is also page order).
    """

    pdf: bytes
    pages: int
    cover_pages: int
    record_pages: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PdfCheck:
    """Result of checking a signed copy.

    ``intact``: the signed bytes are unchanged and nothing but validation data was appended.
    ``valid``: intact, and signed by a certificate that chains to the trusted issuer.
    ``signed_by``: the signer's common name when the signature is cryptographically intact.
    """

    intact: bool
    valid: bool
    signed_by: str | None


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    """Which document to make of the records (`medrec_shared.rules.documents.DocumentType`
    values), over which period (both days included; none: everything the records hold), and
    whether the confirmations print the diagnoses. None of it names the person."""

    document_type: str
    period_from: date | None = None
    period_to: date | None = None
    include_diagnoses: bool = False
    purpose: str | None = None  # 용도, as the citizen gave it
    # A transfer receipt's facts (issuances.receipts.ReceiptFacts as JSON); None otherwise.
    receipt: dict[str, Any] | None = None

    @property
    def is_copy(self) -> bool:
        return self.document_type == DocumentType.record_copy

    def period(self) -> Period | None:
        if self.period_from is None or self.period_to is None:
            return None
        return Period(start=self.period_from, end=self.period_to)
