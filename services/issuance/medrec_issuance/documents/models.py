"""Inputs and outputs of certified-copy rendering and signing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
