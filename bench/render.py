"""Certified copies: seconds per copy of 20 records of mixed kinds, rendered and signed.

``copy_20_records`` is what a citizen waits for: the copy made as the issuance worker makes it,
through `Renderers` (a confined render process per copy, taken from the spare the worker keeps
ready, the records' content streamed in, the signed and verified copy streamed out). Each timed
copy finds its spare ready, as a copy does unless copies come back to back:
``copy_20_records_back_to_back`` is the figure when they do (each waits for the spare started
when the copy before it was done), ``copy_20_records_cold`` the figure with a child started
for the copy (what every copy cost before the spare, and what a copy costs whose spare died).
``copy_20_records_in_process`` is the same render and
signature called in this process, to tell the process's own cost from the rendering's; the raw
baseline is fpdf2 writing the same number of plain text pages with the same embedded Korean
font (no forms, no signature), in the same run."""

import asyncio
import hashlib
import io
import json
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from PIL import Image

from bench.results import Result, table
from medrec_issuance.documents import (
    CoverPage,
    RecordDocument,
    create_self_signed_issuer,
    render_copy,
    sign_pdf,
)
from medrec_issuance.documents.confined import ConfinedCopy, CopyJob, Produced, Renderers
from medrec_issuance.documents.fonts import font_path
from medrec_issuance.documents.limits import CopyLimits
from medrec_issuance.documents.render import is_rendered
from medrec_issuance.documents.signing import IssuerSigner, verify_pdf
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.rules.clinical import DentalRecord, KoreanMedicineRecord, MedicalRecord

ROUNDS = 5
TARGET_SECONDS = 0.5  # issue #16
CHUNK = 64 * 1024  # what the worker's content streams hand over at a time


def _example(model: Any) -> bytes:
    return json.dumps(model.model_config["json_schema_extra"]["examples"][0]).encode()


def _scanned_pdf(pages: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"scanned page {n + 1}")
    return bytes(pdf.output())


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 1600), (240, 240, 240)).save(buffer, "PNG")
    return buffer.getvalue()


def twenty_records() -> list[RecordDocument]:
    contents = [
        ("medical", "application/vnd.medrec.record+json", _example(MedicalRecord)),
        ("dental", "application/vnd.medrec.record+json", _example(DentalRecord)),
        ("korean_medicine", "application/vnd.medrec.record+json", _example(KoreanMedicineRecord)),
        ("medical", "application/pdf", _scanned_pdf(2)),
        ("medical", "image/png", _png()),
        ("medical", "text/plain", "경과 기록\n".encode() * 40),
        ("medical", "application/dicom", b"DICM" * 1000),
    ]
    records = []
    for n in range(20):
        specialty, content_type, content = contents[n % len(contents)]
        rendered = is_rendered(content_type)
        records.append(
            RecordDocument(
                record_id=f"bench-{n}",
                institution_name="벤치마크의원",
                institution_code="99000001",
                kind="medical_record",
                specialty=specialty,
                title=f"기록 {n + 1}",
                service_start=date(2024, 1, 1),
                service_end=date(2024, 1, 2),
                department=None,
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content if rendered else None,  # listed content is never read
            )
        )
    return records


def cover_page() -> CoverPage:
    return CoverPage(
        issuance_number="MR-BENCH-0001",
        verification_code="ABCDEFGH",
        verify_url="https://medrec.example/v1/verify?number=MR-BENCH-0001&code=ABCDEFGH",
        issued_at=datetime.now(UTC),
        subject_name_masked="홍*동",
        institutions=["벤치마크의원"],
    )


def raw_pages(pages: int) -> None:
    pdf = FPDF()
    pdf.add_font("nanum", "", str(font_path("")))
    pdf.set_font("nanum", size=10)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"진료기록 사본 {n + 1} " * 30)
    pdf.output()


async def _stream(content: bytes) -> AsyncGenerator[bytes, None]:
    for start in range(0, len(content), CHUNK):
        yield content[start : start + CHUNK]


async def confined_copy(
    child: ConfinedCopy, job: CopyJob, contents: list[bytes | None], within: float
) -> tuple[Produced, bytes]:
    """One copy as `issuances.fulfilment` has it made, from the child given the job: stream each
    rendered record's content in order, the outcome, the signed copy; close in any case."""
    try:
        for record, content in zip(job.records, contents, strict=True):
            if is_rendered(record.content_type):
                assert content is not None
                await child.send(_stream(content))
        outcome = await child.outcome(within)
        if not isinstance(outcome, Produced):
            raise RuntimeError(f"the bench copy was refused: {outcome.reason}")
        pdf = b"".join([piece async for piece in child.pdf()])
    finally:
        await child.close()
    return outcome, pdf


async def _confined_seconds(
    job: CopyJob, contents: list[bytes | None], rounds: int
) -> tuple[dict[str, float], int, bytes]:
    """Seconds per copy: ``warm`` (each copy finds the spare ready), ``back_to_back`` (copies
    one after the other), ``cold`` (a child started for each copy)."""
    fields = IssuanceSettings.model_fields  # the worker's defaults
    memory = fields["render_memory_max_bytes"].default
    within = fields["render_timeout_seconds"].default
    renderers = Renderers(memory)
    seconds: dict[str, float] = {}
    try:
        await renderers.prepare()
        await confined_copy(await renderers.start(job), job, contents, within)  # warm-up
        warm = 0.0
        for _ in range(rounds):
            assert renderers.spare is not None
            await renderers.spare.ready()  # not timed: the time between two citizens' copies
            started = time.perf_counter()
            outcome, pdf = await confined_copy(await renderers.start(job), job, contents, within)
            warm += time.perf_counter() - started
        seconds["warm"] = warm / rounds
        started = time.perf_counter()
        for _ in range(rounds):
            await confined_copy(await renderers.start(job), job, contents, within)
        seconds["back_to_back"] = (time.perf_counter() - started) / rounds
    finally:
        await renderers.aclose()
    started = time.perf_counter()
    for _ in range(rounds):
        await confined_copy(await ConfinedCopy.start(job, memory), job, contents, within)
    seconds["cold"] = (time.perf_counter() - started) / rounds
    return seconds, outcome.pages, pdf


def run() -> list[Result]:
    records = twenty_records()
    cover = cover_page()
    key_pem, cert_pem = create_self_signed_issuer()
    listed = [replace(r, content=None) for r in records]  # the job carries no content
    job = CopyJob(cover, listed, CopyLimits(), key_pem, cert_pem)
    seconds, pages, signed = asyncio.run(
        _confined_seconds(job, [r.content for r in records], ROUNDS)
    )
    check = verify_pdf(signed, cert_pem)
    assert check.intact and check.valid, "the confined copy does not verify"
    confined = seconds["warm"]

    signer = IssuerSigner.from_pem(key_pem, cert_pem)
    render_copy(cover, records)  # warm-up
    started = time.perf_counter()
    for _ in range(ROUNDS):
        copy = render_copy(cover, records)
        sign_pdf(copy.pdf, signer)
    in_process = (time.perf_counter() - started) / ROUNDS
    assert copy.pages == pages

    raw_pages(pages)  # warm-up
    started = time.perf_counter()
    for _ in range(ROUNDS):
        raw_pages(pages)
    raw = (time.perf_counter() - started) / ROUNDS
    raw_rate = pages / raw
    return [
        Result(
            name="copy_20_records",
            label=f"certified copy, 20 records ({pages} pages), confined, render + sign",
            value=confined,
            unit="s",
            at_most=TARGET_SECONDS,
            note="through Renderers as the issuance worker drives it, the spare ready, "
            "content streamed in",
        ),
        Result(
            name="copy_20_records_back_to_back",
            label="the same, copies one after another (each waits for the last one's spare)",
            value=seconds["back_to_back"],
            unit="s",
        ),
        Result(
            name="copy_20_records_cold",
            label="the same, a child started for each copy (no spare; before, every copy)",
            value=seconds["cold"],
            unit="s",
        ),
        Result(
            name="copy_20_records_in_process",
            label="the same copy rendered and signed in this process",
            value=in_process,
            unit="s",
        ),
        Result(
            name="copy_20_records_pages",
            label="certified copy, confined, pages per second",
            value=pages / confined,
            unit="pages/s",
            baseline=raw_rate,
            baseline_name="raw_fpdf_pages",
        ),
        Result(
            name="raw_fpdf_pages",
            label=f"fpdf2 plain text pages, NanumGothic ({pages} pages), baseline",
            value=raw_rate,
            unit="pages/s",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
