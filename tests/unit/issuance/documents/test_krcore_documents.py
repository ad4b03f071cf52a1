"""A KR Core record (application/fhir+json) in the documents: the certified copy renders its
bundle in Korean (the institution and its 요양기관기호, visits, KCD-8 diagnoses, prescriptions,
procedures, observations, the report; never the patient's identifiers), and 진료확인서 and
처방전 are made from it as from a structured record."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from medrec_issuance.documents import CoverPage, RecordDocument, render_copy
from medrec_issuance.documents.models import DocumentSpec
from medrec_issuance.documents.statements import render_document
from medrec_shared.rules.clinical import FHIR_CONTENT_TYPE
from medrec_shared.rules.documents import DocumentType
from tests.support.krcore import krcore_bundle

COVER = CoverPage(
    issuance_number="2026-0302-000321",
    verification_code="K7QX-93MD-2LPB",
    verify_url="https://medrec.example.kr/verify?number=2026-0302-000321&code=K7QX-93MD-2LPB",
    issued_at=datetime(2026, 3, 2, 5, 30, tzinfo=UTC),
    subject_name_masked="홍*동",
    institutions=["한빛의원"],
)
YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))


def _record(specialty: str) -> RecordDocument:
    raw = json.dumps(krcore_bundle(specialty)).encode()
    return RecordDocument(
        record_id=f"rec-{specialty}",
        institution_name="한빛의원",
        institution_code="12345678",
        kind="medical_record",
        specialty=specialty,
        title="KR Core 진료기록",
        service_start=date(2024, 3, 4),
        service_end=date(2024, 3, 4),
        department=None,
        content_type=FHIR_CONTENT_TYPE,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        content=raw,
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("specialty", "expected"),
    [
        ("medical", ("J06.9", "급성 상기도감염", "타이레놀정500밀리그램", "초진 진찰료", "내과")),
        ("dental", ("K02.1", "상아질의 우식", "아목시실린캡슐500밀리그램", "복합레진", "치과")),
        ("korean_medicine", ("M54.5", "요통", "작약감초탕", "침술(경혈)", "한방내과")),
    ],
)
def test_the_copy_renders_a_krcore_bundle_in_korean(
    specialty: str, expected: tuple[str, ...]
) -> None:
    text = _text(render_copy(COVER, [_record(specialty)]).pdf)
    for value in (
        *expected,
        "KR Core 2.0",
        "의료기관·의료인",
        "한빛의원",
        "12345678",
        "김의사",
        "내원 기록",
        "외래",
        "2024-03-04",
        "혈색소",
        "14.2 g/dL",
        "검사 보고서",
        "일반혈액검사",
    ):
        assert value in text, value
    assert "900101" not in text and "P-1" not in text  # the patient's identifiers never print


def test_a_treatment_confirmation_is_made_from_a_krcore_record() -> None:
    spec = DocumentSpec(DocumentType.treatment_confirmation, *YEAR_2024, include_diagnoses=True)
    made = render_document(spec, COVER, [_record("medical")])
    text = _text(made.pdf)
    assert "통원확인서" in text and "한빛의원" in text and "12345678" in text
    assert "2024-03-04" in text and "내과" in text
    assert "J06.9" in text and "급성 상기도감염" in text


def test_a_prescription_is_made_from_a_krcore_record() -> None:
    made = render_document(
        DocumentSpec(DocumentType.prescription, *YEAR_2024), COVER, [_record("dental")]
    )
    text = _text(made.pdf)
    assert "별지 제9호" in text and "K02.1" in text
    for value in ("아목시실린캡슐500밀리그램", "642102570", "1 정", "3회", "3일"):
        assert value in text, value
