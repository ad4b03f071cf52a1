"""What one copy may hold: explicit limits on what is rendered, a memory cap on the process that
renders, and content that is only listed never read."""

import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from medrec_issuance.documents import CoverPage, RecordDocument
from medrec_issuance.documents.limits import CopyLimits, OverLimit
from medrec_issuance.documents.render import render_copy

MiB = 1024 * 1024
COVER = CoverPage(
    "MR-20260302-00000001",
    "K7QX93MD",
    "https://x/v1/verify",
    datetime(2026, 3, 2, tzinfo=UTC),
    "김*수",
    ["행복의원"],
)


def record(content_type: str, content: bytes | None, size: int | None = None) -> RecordDocument:
    if size is None:
        assert content is not None, "a record without content says its size"
        size = len(content)
    return RecordDocument(
        record_id="rec-1", institution_name="행복의원", institution_code="11111111",
        kind="radiology", specialty="medical", title="영상", service_start=date(2024, 1, 1),
        service_end=date(2024, 1, 1), department=None, content_type=content_type,
        size=size,
        sha256=hashlib.sha256(content or b"").hexdigest(), content=content,
    )  # fmt: skip


def png(width: int, height: int, mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG")
    return out.getvalue()


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded() -> None:
    bomb = png(5000, 5000)  # 25 million pixels in a few KiB
    assert len(bomb) < 64 * 1024
    with pytest.raises(OverLimit) as refused:
        render_copy(COVER, [record("image/png", png(10, 10)), record("image/png", bomb)])
    assert "2번째 기록" in refused.value.reason and "20,000,000화소" in refused.value.reason


def test_a_copy_stops_at_its_page_limit() -> None:
    text = ("한 줄의 기록\n" * 20_000).encode()
    with pytest.raises(OverLimit) as refused:
        render_copy(COVER, [record("text/plain", text)], CopyLimits(pages=5))
    assert "5쪽" in refused.value.reason


def test_listed_content_is_described_by_its_stored_size_and_digest_without_being_read() -> None:
    dicom = record("application/dicom", None, 2 << 30)
    copy = render_copy(COVER, [dicom])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(copy.pdf)).pages)
    assert "2,147,483,648 바이트" in text
    assert dicom.sha256 in text.replace("\n", "")
