"""Certified copies: Korean rendering of every content type, page accounting, PAdES signature."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime
from functools import cache

import pytest
from fpdf import FPDF
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from medrec_issuance.documents import (
    CoverPage,
    IssuerSigner,
    RecordDocument,
    RenderedCopy,
    create_self_signed_issuer,
    render_copy,
    sign_pdf,
    verify_pdf,
)
from medrec_shared.rules.clinical import FHIR_CONTENT_TYPE, STRUCTURED_RECORD_CONTENT_TYPE

ISSUANCE_NUMBER = "2026-0302-000123"
VERIFICATION_CODE = "K7QX-93MD-2LPA"

MEDICAL = {
    "schema_version": "1",
    "specialty": "medical",
    "encounters": [
        {
            "date": "2024-03-02",
            "department": "소아청소년과",
            "chief_complaint": "발열, 기침 3일",
            "notes": "인후 발적, 호흡음 정상. 해열제 처방 후 경과 관찰.",
        },
        {"date": "2024-03-05", "department": "소아청소년과", "chief_complaint": "재진"},
    ],
    "diagnoses": [
        {"code": "J06.9", "name": "급성 상기도감염", "primary": True, "date": "2024-03-02"},
        {"code": "R50.9", "name": "상세불명의 열", "date": "2024-03-02"},
    ],
    "prescriptions": [
        {
            "drug_name": "아세트아미노펜 시럽",
            "drug_code": "643301230",
            "dose": "5",
            "unit": "mL",
            "frequency_per_day": 3,
            "days": 3,
            "date": "2024-03-02",
        }
    ],
    "tests": [
        {
            "name": "CRP",
            "date": "2024-03-02",
            "result": "1.2",
            "unit": "mg/dL",
            "reference_range": "0.0–0.5",
            "finding": "경도 상승",
        }
    ],
    "procedures": [{"name": "네뷸라이저 흡입치료", "date": "2024-03-02"}],
}

DENTAL = {
    "schema_version": "1",
    "specialty": "dental",
    "encounters": [{"date": "2024-05-10", "chief_complaint": "좌측 하악 어금니 시림"}],
    "diagnoses": [{"code": "K02.1", "name": "상아질의 우식", "primary": True}],
    "procedures": [{"name": "치석제거", "code": "U2232", "date": "2024-05-10"}],
    "tooth_chart": [
        {"tooth": 36, "findings": ["우식(C2)"], "procedures": ["레진 충전"]},
        {"tooth": 18, "findings": ["매복"], "procedures": []},
        {"tooth": 11, "findings": [], "procedures": ["스케일링"]},
        {"tooth": 46, "findings": ["치주염", "동요도 1도"], "procedures": ["치근활택술"]},
        {"tooth": 75, "findings": ["잔존 유치"], "procedures": []},
    ],
}

KOREAN_MEDICINE = {
    "schema_version": "1",
    "specialty": "korean_medicine",
    "encounters": [{"date": "2024-09-01", "chief_complaint": "만성 피로, 식욕부진"}],
    "diagnoses": [{"code": "U23.0", "name": "기허증", "primary": True}],
    "pattern_identification": ["비기허증", "중기하함"],
    "acupuncture": [
        {"point": "ST36", "method": "자침 15분 유침"},
        {"point": "LI4"},
        {"point": "족삼리"},
    ],
    "moxibustion_cupping": ["관원 간접구", "배부 건부항"],
    "herbal_formulas": [
        {
            "name": "보중익기탕",
            "herbs": [
                {"name": "황기", "grams": "6"},
                {"name": "인삼", "grams": "4"},
                {"name": "백출", "grams": "4"},
                {"name": "감초", "grams": "1.5"},
            ],
            "packs": 20,
            "days": 10,
        }
    ],
}

FHIR_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1"}},
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "code": {"coding": [{"code": "I10", "display": "본태성 고혈압"}]},
                "onsetDateTime": "2023-11-20",
            }
        },
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "m1",
                "medicationCodeableConcept": {"text": "암로디핀 5mg"},
                "authoredOn": "2023-11-20",
                "dosageInstruction": [{"text": "1일 1회 1정"}],
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "code": {"text": "수축기 혈압"},
                "effectiveDateTime": "2023-11-20",
                "valueQuantity": {"value": 152, "unit": "mmHg"},
            }
        },
    ],
}


def _pdf_record_content() -> bytes:
    doc = FPDF()
    for n in (1, 2):
        doc.add_page()
        doc.set_font("helvetica", size=24)
        doc.cell(0, 20, f"Scanned chart page {n}")
    return bytes(doc.output())


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (200, 220, 255)).save(out, format="PNG")
    return out.getvalue()


def _tiff_two_frames() -> bytes:
    out = io.BytesIO()
    first = Image.new("L", (300, 500), 230)
    second = Image.new("RGB", (500, 300), (255, 240, 200))
    first.save(out, format="TIFF", save_all=True, append_images=[second])
    return out.getvalue()


def _record(
    n: int,
    institution: str,
    code: str,
    specialty: str,
    content_type: str,
    content: bytes,
    kind: str = "medical_record",
    title: str = "진료기록",
) -> RecordDocument:
    return RecordDocument(
        record_id=f"rec-{n:04d}",
        institution_name=institution,
        institution_code=code,
        kind=kind,
        specialty=specialty,
        title=title,
        service_start=date(2024, 1, 1),
        service_end=date(2024, 12, 31),
        department=None if specialty != "medical" else "소아청소년과",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def sample_records() -> list[RecordDocument]:
    sr = STRUCTURED_RECORD_CONTENT_TYPE
    return [
        _record(1, "행복소아과의원", "11111111", "medical", sr, json.dumps(MEDICAL).encode()),
        _record(2, "미소치과의원", "22222222", "dental", sr, json.dumps(DENTAL).encode()),
        _record(
            3,
            "동의한의원",
            "33333333",
            "korean_medicine",
            sr,
            json.dumps(KOREAN_MEDICINE).encode(),
            kind="prescription",
            title="한약 처방",
        ),
        _record(
            4,
            "행복소아과의원",
            "11111111",
            "medical",
            FHIR_CONTENT_TYPE,
            json.dumps(FHIR_BUNDLE).encode(),
            kind="test_record",
            title="EMR 이관 자료",
        ),
        _record(
            5,
            "행복소아과의원",
            "11111111",
            "medical",
            "application/pdf",
            _pdf_record_content(),
            kind="surgery_record",
            title="스캔 수술기록",
        ),
        _record(
            6,
            "미소치과의원",
            "22222222",
            "dental",
            "image/png",
            _png(),
            kind="radiology",
            title="구강 사진",
        ),
        _record(
            7,
            "미소치과의원",
            "22222222",
            "dental",
            "image/tiff",
            _tiff_two_frames(),
            kind="radiology",
            title="파노라마 스캔",
        ),
        _record(
            8,
            "미소치과의원",
            "22222222",
            "dental",
            "application/dicom",
            b"\0" * 128 + b"DICM" + b"\1" * 500,
            kind="radiology",
            title="CBCT",
        ),
    ]


def sample_cover() -> CoverPage:
    return CoverPage(
        issuance_number=ISSUANCE_NUMBER,
        verification_code=VERIFICATION_CODE,
        verify_url=f"https://medrec.example.kr/verify?number={ISSUANCE_NUMBER}&code=K7QX93MD2LPA",
        issued_at=datetime(2026, 3, 2, 5, 30, tzinfo=UTC),
        subject_name_masked="김*수",
        institutions=["행복소아과의원", "미소치과의원", "동의한의원"],
    )


@cache
def rendered() -> RenderedCopy:
    return render_copy(sample_cover(), sample_records())


@cache
def issuer() -> tuple[bytes, bytes]:
    return create_self_signed_issuer()


@cache
def signed() -> bytes:
    key_pem, cert_pem = issuer()
    return sign_pdf(rendered().pdf, IssuerSigner.from_pem(key_pem, cert_pem))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_text_is_korean_and_complete() -> None:
    text = _text(rendered().pdf)
    for expected in (
        "진료기록 사본 발급",
        "행복소아과의원",
        "미소치과의원",
        "동의한의원",
        ISSUANCE_NUMBER,
        VERIFICATION_CODE,
        "진료기록부",
        "처방전",
        "검사내용 및 검사소견기록",
        "수술기록",
        "방사선 사진(영상물 포함) 및 소견서",
        "제40조의3",
        "2026년 03월 02일 14:30 (KST)",  # 05:30 UTC in Asia/Seoul
        "급성 상기도감염",
        "보중익기탕",
        "비기허증",
        "본태성 고혈압",
        "암로디핀",
        "application/dicom",
    ):
        assert expected in text, expected


def test_page_count_adds_up() -> None:
    copy = rendered()
    assert PdfReader(io.BytesIO(copy.pdf)).get_num_pages() == copy.pages
    assert copy.pages == copy.cover_pages + sum(copy.record_pages)
    assert copy.cover_pages >= 1
    assert all(n >= 1 for n in copy.record_pages[:4])  # structured and FHIR, as rendered
    assert copy.record_pages[4:] == (2, 1, 2, 1)  # PDF pages, PNG, TIFF frames, DICOM listing


def test_pdf_pages_are_included_in_order() -> None:
    copy = rendered()
    reader = PdfReader(io.BytesIO(copy.pdf))
    first = copy.cover_pages + sum(copy.record_pages[:4])
    assert "Scanned chart page 1" in (reader.pages[first].extract_text() or "")
    assert "스캔 수술기록" in (reader.pages[first].extract_text() or "")
    assert "Scanned chart page 2" in (reader.pages[first + 1].extract_text() or "")
    footer = f"{first + 2} / {copy.pages}"
    assert footer in (reader.pages[first + 1].extract_text() or "")


def test_signature_validates() -> None:
    _, cert_pem = issuer()
    check = verify_pdf(signed(), cert_pem)
    assert check.intact and check.valid
    assert check.signed_by == "medrec issuance (local)"


def test_the_signing_time_is_the_one_given_not_the_wall_clocks() -> None:
    key_pem, cert_pem = issuer()
    at = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)  # a clock moved on, as in the local stack
    pdf = sign_pdf(rendered().pdf, IssuerSigner.from_pem(key_pem, cert_pem), signing_time=at)
    (signature,) = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    assert signature.self_reported_timestamp == at
    check = verify_pdf(pdf, cert_pem)
    assert check.intact and check.valid


def test_one_byte_changed_in_signed_range_fails() -> None:
    _, cert_pem = issuer()
    data = bytearray(signed())
    position = len(rendered().pdf) // 2  # inside the original revision, which is signed
    data[position] ^= 0x01
    check = verify_pdf(bytes(data), cert_pem)
    assert not check.intact
    assert not check.valid


def test_incremental_update_with_content_change_fails() -> None:
    from pypdf import PdfWriter

    _, cert_pem = issuer()
    writer = PdfWriter(io.BytesIO(signed()), incremental=True)
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    check = verify_pdf(out.getvalue(), cert_pem)
    assert not check.intact
    assert not check.valid


async def test_verify_and_sign_work_inside_an_event_loop() -> None:
    key_pem, cert_pem = issuer()
    again = sign_pdf(rendered().pdf, IssuerSigner.from_pem(key_pem, cert_pem))
    assert verify_pdf(again, cert_pem).valid


def test_other_trust_anchor_is_not_valid() -> None:
    _, other_cert = create_self_signed_issuer("someone else")
    check = verify_pdf(signed(), other_cert)
    assert check.intact
    assert not check.valid


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a pdf", b"%PDF-1.7\n%%EOF", bytes(range(256)) * 20],
)
def test_garbage_never_raises(garbage: bytes) -> None:
    _, cert_pem = issuer()
    assert verify_pdf(garbage, cert_pem) == verify_pdf(garbage, b"not a cert")
    check = verify_pdf(garbage, cert_pem)
    assert not check.intact and not check.valid and check.signed_by is None


def test_unsigned_copy_is_not_valid() -> None:
    _, cert_pem = issuer()
    check = verify_pdf(rendered().pdf, cert_pem)
    assert not check.valid


def test_key_must_match_certificate() -> None:
    key_pem, _ = create_self_signed_issuer()
    _, cert_pem = issuer()
    with pytest.raises(ValueError):
        IssuerSigner.from_pem(key_pem, cert_pem)


def test_unreadable_content_is_listed_not_fatal() -> None:
    records = [
        _record(
            1,
            "행복소아과의원",
            "11111111",
            "medical",
            STRUCTURED_RECORD_CONTENT_TYPE,
            b'{"schema_version": "2"}',
        ),
        _record(2, "행복소아과의원", "11111111", "medical", "application/pdf", b"%PDF broken"),
        _record(3, "행복소아과의원", "11111111", "medical", "image/png", b"not png"),
        _record(
            4,
            "행복소아과의원",
            "11111111",
            "medical",
            "text/plain; charset=EUC-KR",
            "한글 텍스트 기록".encode("euc-kr"),
        ),
    ]
    copy = render_copy(sample_cover(), records)
    assert copy.record_pages == (1, 1, 1, 1)
    text = _text(copy.pdf)
    assert "SHA-256" in text
    assert "한글 텍스트 기록" in text


def test_jpeg_and_long_cover() -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (400, 900), (250, 200, 200)).save(jpeg, format="JPEG")
    records = [
        _record(n, "행복소아과의원", "11111111", "medical", "text/plain", f"기록 {n}".encode())
        for n in range(1, 40)
    ]
    records.append(_record(40, "미소치과의원", "22222222", "dental", "image/jpeg", jpeg.getvalue()))
    copy = render_copy(sample_cover(), records)
    assert copy.cover_pages >= 2
    assert copy.record_pages == (1,) * 40
    assert copy.pages == copy.cover_pages + 40 == len(PdfReader(io.BytesIO(copy.pdf)).pages)
