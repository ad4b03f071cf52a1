"""``render_copy``: the unsigned certified copy, cover first, then each record in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from medrec_shared.rules.clinical import (
    FHIR_CONTENT_TYPE,
    STRUCTURED_RECORD_CONTENT_TYPE,
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    check_fhir_bundle,
    parse_structured_record,
)

from .attachments import (
    PagePlacement,
    add_image_pages,
    add_listing,
    add_pdf_pages,
    merge_pdf_pages,
    open_pdf,
)
from .cover import render_cover, to_kst
from .forms import (
    render_dental,
    render_fhir_bundle,
    render_korean_medicine,
    render_medical,
    render_text,
)
from .layout import CopyPdf
from .limits import CopyLimits, OverLimit
from .models import CoverPage, RecordDocument, RenderedCopy

logger = logging.getLogger(__name__)

IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/tiff"})
#: Content drawn on the copy, and so read; anything else is listed by its stored size and SHA-256.
RENDERED_TYPES: Final = IMAGE_TYPES | {
    STRUCTURED_RECORD_CONTENT_TYPE,
    FHIR_CONTENT_TYPE,
    "text/plain",
    "application/pdf",
}
NOT_RENDERED: Final = (
    "이 형식은 사본에 직접 표시하지 않으며, 원본을 식별하는 정보(유형, 크기, SHA-256)만 "
    "수록합니다. 원본은 진료기록보관시스템에 변경 없이 보관되어 있습니다."
)
DICOM_NOTE: Final = (
    "의료영상(DICOM) 원본은 사본에 영상으로 표시하지 않으며, 원본을 식별하는 정보(유형, 크기, "
    "SHA-256)만 수록합니다. 원본은 진료기록보관시스템에 변경 없이 보관되어 있습니다."
)
UNREADABLE: Final = (
    "이 기록은 선언된 형식({kind})으로 읽을 수 없어 내용을 표시하지 못했습니다. 원본을 식별하는 "
    "정보(유형, 크기, SHA-256)만 수록합니다."
)


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """``"text/plain; charset=EUC-KR"`` → ``("text/plain", {"charset": "EUC-KR"})``."""
    base, *params = content_type.split(";")
    parsed: dict[str, str] = {}
    for param in params:
        key, _, value = param.partition("=")
        parsed[key.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), parsed


def decode_text(content: bytes, charset: str | None) -> str:
    """Declared charset first, then UTF-8, then CP949 (older Korean EMR exports)."""
    for encoding in (charset, "utf-8-sig", "cp949"):
        if not encoding:
            continue
        try:
            return content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("utf-8", errors="replace")


def is_rendered(content_type: str) -> bool:
    """Whether a record's content is drawn on the copy (and must be read) or only listed."""
    return media_type(content_type)[0] in RENDERED_TYPES


def _render_record(
    pdf: CopyPdf, record: RecordDocument, position: int, limits: CopyLimits
) -> list[PagePlacement]:
    """Render one record from its first (header) page on; returns PDF pages to merge later.
    Raises `OverLimit` when the record goes beyond ``limits``."""
    kind, params = media_type(record.content_type)
    if kind not in RENDERED_TYPES:
        add_listing(pdf, record, DICOM_NOTE if kind == "application/dicom" else NOT_RENDERED)
        return []
    content = record.content
    if content is None:
        raise ValueError(f"record {record.record_id} is rendered but its content was not given")
    if kind == STRUCTURED_RECORD_CONTENT_TYPE:
        try:
            structured = parse_structured_record(content)
        except ValueError:
            logger.warning("structured record %s does not validate", record.record_id)
            add_listing(pdf, record, UNREADABLE.format(kind="구조화 진료기록"))
            return []
        if isinstance(structured, DentalRecord):
            render_dental(pdf, structured)
        elif isinstance(structured, KoreanMedicineRecord):
            render_korean_medicine(pdf, structured)
        elif isinstance(structured, MedicalRecord):
            render_medical(pdf, structured)
    elif kind == FHIR_CONTENT_TYPE:
        try:
            bundle = check_fhir_bundle(content)
        except ValueError:
            add_listing(pdf, record, UNREADABLE.format(kind="FHIR Bundle"))
            return []
        render_fhir_bundle(pdf, bundle)
    elif kind == "text/plain":
        render_text(pdf, decode_text(content, params.get("charset")))
    elif kind == "application/pdf":
        reader = open_pdf(content)
        if reader is None:
            add_listing(pdf, record, UNREADABLE.format(kind="PDF"))
            return []
        return add_pdf_pages(pdf, reader)
    else:
        try:
            add_image_pages(pdf, content, kind, max_pixels=limits.image_pixels, position=position)
        except (OverLimit, MemoryError):
            raise
        except Exception as exc:  # only the type: a decoder's message may quote the content
            logger.warning(
                "image record %s could not be read: %s", record.record_id, type(exc).__name__
            )
            add_listing(pdf, record, UNREADABLE.format(kind="이미지"))
    return []


def render_copy(
    cover: CoverPage, records: Sequence[RecordDocument], limits: CopyLimits | None = None
) -> RenderedCopy:
    """The unsigned certified copy as PDF bytes, with its page counts. Raises `OverLimit` when
    it would go beyond ``limits`` (pages, pixels of an image); the bytes of the records are the
    caller's to bound, as it reads them."""
    limits = limits or CopyLimits()
    pdf = CopyPdf(cover.issuance_number, max_pages=limits.pages)
    pdf.set_creation_date(to_kst(cover.issued_at))
    pdf.set_subject(f"발급번호 {cover.issuance_number}")
    render_cover(pdf, cover, records)
    cover_pages = pdf.page
    record_pages: list[int] = []
    placements: list[PagePlacement] = []
    for position, record in enumerate(records, start=1):
        before = pdf.page
        pdf.start_record(record, position, len(records))
        placements.extend(_render_record(pdf, record, position, limits))
        pdf.end_record()
        record_pages.append(pdf.page - before)
    document = bytes(pdf.output())
    if placements:
        document = merge_pdf_pages(document, placements)
    return RenderedCopy(
        pdf=document,
        pages=pdf.page,
        cover_pages=cover_pages,
        record_pages=tuple(record_pages),
    )
