"""Rendering certified copies: pages per second for a copy of 20 records of mixed kinds, against
a raw baseline measured in the same run (fpdf2 writing the same number of plain text pages with
the same embedded Korean font, no forms, no signature)."""

import io
import json
import time
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from PIL import Image

from medrec_issuance.documents import (
    CoverPage,
    RecordDocument,
    create_self_signed_issuer,
    render_copy,
    sign_pdf,
)
from medrec_issuance.documents.fonts import font_path
from medrec_issuance.documents.signing import IssuerSigner
from medrec_shared.clinical import DentalRecord, KoreanMedicineRecord, MedicalRecord

ROUNDS = 3


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
                content=content,
            )
        )
    return records


def raw_pages(pages: int) -> None:
    pdf = FPDF()
    pdf.add_font("nanum", "", str(font_path("")))
    pdf.set_font("nanum", size=10)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"진료기록 사본 {n + 1} " * 30)
    pdf.output()


def run() -> list[tuple[str, str, str]]:
    records = twenty_records()
    cover = CoverPage(
        issuance_number="MR-BENCH-0001",
        verification_code="ABCDEFGH",
        verify_url="https://medrec.example/v1/verify?number=MR-BENCH-0001&code=ABCDEFGH",
        issued_at=datetime.now(UTC),
        subject_name_masked="홍*동",
        institutions=["벤치마크의원"],
    )
    signer = IssuerSigner.from_pem(*create_self_signed_issuer())
    render_copy(cover, records)  # warm-up: font subsetting caches
    started = time.perf_counter()
    for _ in range(ROUNDS):
        copy = render_copy(cover, records)
        sign_pdf(copy.pdf, signer)
    ours = time.perf_counter() - started
    pages = copy.pages * ROUNDS
    started = time.perf_counter()
    for _ in range(ROUNDS):
        raw_pages(copy.pages)
    raw = time.perf_counter() - started
    return [
        ("copy of 20 mixed records", f"{copy.pages} pages", f"{ours / ROUNDS:.2f} s per copy"),
        ("render + sign", f"{pages / ours:.1f} pages/s", f"ratio {raw / ours:.2f} of raw"),
        ("raw fpdf2 text pages (baseline)", f"{pages / raw:.1f} pages/s", "1.00"),
    ]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row))
