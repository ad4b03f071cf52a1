"""What one copy may hold: explicit limits on what is rendered, a memory cap on the process that
renders, and content that is only listed never read."""

import asyncio
import hashlib
import io
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from medrec_issuance.documents import CoverPage, RecordDocument, create_self_signed_issuer
from medrec_issuance.documents.confined import ConfinedCopy, CopyJob, Produced, Refused
from medrec_issuance.documents.limits import OUT_OF_MEMORY, CopyLimits, OverLimit
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
    return RecordDocument(
        record_id="rec-1", institution_name="행복의원", institution_code="11111111",
        kind="radiology", specialty="medical", title="영상", service_start=date(2024, 1, 1),
        service_end=date(2024, 1, 1), department=None, content_type=content_type,
        size=len(content) if size is None else size,
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


async def _pieces(data: bytes) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


def _run(content: bytes, content_type: str, memory: int, limits: CopyLimits) -> Produced | Refused:
    # A loop of its own on a thread of its own, as in the worker: the test session's loop has
    # served the whole suite (and its subprocesses) by the time this runs.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, _render(content, content_type, memory, limits)).result()


async def _render(
    content: bytes, content_type: str, memory: int, limits: CopyLimits
) -> Produced | Refused:
    key_pem, cert_pem = create_self_signed_issuer()
    job = CopyJob(COVER, [record(content_type, None, len(content))], limits, key_pem, cert_pem)
    child = await ConfinedCopy.start(job, memory)
    try:
        await child.send(_pieces(content))
        return await child.outcome(120)
    finally:
        await child.close()


def test_the_render_process_is_held_to_its_memory_cap() -> None:
    noise = io.BytesIO()
    Image.effect_noise((3000, 4000), 64).convert("RGB").save(noise, format="PNG")
    generous = CopyLimits(record_bytes=256 * MiB, content_bytes=256 * MiB)
    produced = _run(noise.getvalue(), "image/png", 640 * MiB, generous)
    assert isinstance(produced, Produced) and produced.pages == 2
    assert _run(noise.getvalue(), "image/png", 300 * MiB, generous) == Refused(OUT_OF_MEMORY)


def test_content_beyond_its_limit_is_refused_as_it_arrives() -> None:
    refused = _run(b"x" * (2 * MiB), "text/plain", 640 * MiB, CopyLimits(record_bytes=MiB))
    assert isinstance(refused, Refused) and "1MB" in refused.reason
