"""The documents made from a record's entries (진료확인서, 입퇴원확인서, 진료비 계산서·영수증,
세부산정내역, 납입확인서, 처방전): each read as a reader would (its PDF's text), signed, and the
one the confined child makes; nothing to show refused with the citizen's reason."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from medrec_issuance.documents import (
    CoverPage,
    RecordDocument,
    create_self_signed_issuer,
    render_copy,
)
from medrec_issuance.documents.confined import CopyJob, Produced, Refused, Renderers
from medrec_issuance.documents.limits import CopyLimits
from medrec_issuance.documents.models import DocumentSpec
from medrec_issuance.documents.signing import IssuerSigner, sign_pdf, verify_pdf
from medrec_issuance.documents.statements import NothingToShow, render_document
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.rules.clinical import STRUCTURED_RECORD_CONTENT_TYPE
from medrec_shared.rules.documents import DOCUMENT_LABELS, DocumentType
from tests.support.pdfs import save_first_page

SCREENSHOTS = Path(__file__).parents[4] / "docs" / "screenshots"
STATEMENT = (
    "이 서류는 폐업·휴업 의료기관이 이관한 진료기록에 근거하여 진료기록보관시스템이 발급하였습니다."
)
MEMORY = IssuanceSettings.model_fields["render_memory_max_bytes"].default


def _line(category: str, code: str, name: str, day: str, price: int, copay: int) -> dict[str, Any]:
    return {
        "category": category,
        "edi_code": code,
        "name": name,
        "date": day,
        "unit_price": price,
        "count": 1,
        "days": 1,
        "insured_copay": copay,
        "insurer_paid": price - copay,
        "fully_self_paid": 0,
        "uninsured": 0,
    }


OUTPATIENT_BILL = {
    "number": "R-2024-0302-017",
    "issued_on": "2024-03-02",
    "visit": "outpatient",
    "period": {"from": "2024-03-02", "to": "2024-03-02"},
    "department": "소아청소년과",
    "patient_category": "health_insurance",
    "night_or_holiday": True,
    "total": 1_262_000,
    "patient_total": 1_203_600,
    "lines": [
        _line("consultation", "AA154", "재진진찰료-의원", "2024-03-02", 12_000, 3_600),
        _line("laboratory", "D2711", "C-반응성단백", "2024-03-02", 50_000, 0),
        {
            "category": "mri",
            "edi_code": "HF105",
            "name": "뇌 MRI",
            "date": "2024-03-02",
            "unit_price": 1_200_000,
            "count": 1,
            "insured_copay": 0,
            "insurer_paid": 0,
            "fully_self_paid": 0,
            "uninsured": 1_200_000,
        },
    ],
    "payments": [
        {"paid_on": "2024-03-02", "method": "card", "amount": 1_000_000},
        {"paid_on": "2024-03-04", "method": "cash_receipt", "amount": 103_600},
    ],
}

INPATIENT_BILL = {
    "number": "I-2024-0614-003",
    "issued_on": "2024-06-14",
    "visit": "inpatient",
    "inpatient_kind": "discharge",
    "period": {"from": "2024-06-10", "to": "2024-06-14"},
    "department": "정형외과",
    "patient_category": "health_insurance",
    "lines": [
        {
            "category": "admission_two_three",
            "edi_code": "AB220",
            "name": "입원료(2인실)",
            "date": "2024-06-10",
            "unit_price": 80_000,
            "count": 1,
            "days": 4,
            "insured_copay": 128_000,
            "insurer_paid": 192_000,
            "fully_self_paid": 0,
            "uninsured": 0,
        },
        _line("meals", "FA100", "일반식", "2024-06-11", 6_000, 3_000),
    ],
    "payments": [{"paid_on": "2024-06-14", "method": "cash", "amount": 131_000}],
}

MEDICAL = {
    "schema_version": "2",
    "specialty": "medical",
    "encounters": [
        {"date": "2024-03-02", "department": "소아청소년과", "chief_complaint": "발열"},
        {"date": "2024-03-05", "department": "소아청소년과"},
        {"date": "2023-12-20", "department": "소아청소년과"},
    ],
    "diagnoses": [
        {"code": "J06.9", "name": "급성 상기도감염", "primary": True, "date": "2024-03-02"},
        {"code": "S82.1", "name": "경골 근위부의 골절", "date": "2024-06-10"},
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
        },
        {
            "drug_name": "세프디니르 캡슐",
            "drug_code": "657802440",
            "dose": "1",
            "unit": "캡슐",
            "frequency_per_day": 2,
            "days": 5,
            "date": "2024-03-02",
        },
    ],
    "admissions": [
        {
            "admitted_on": "2024-06-10",
            "discharged_on": "2024-06-14",
            "room_class": "two_three",
            "department": "정형외과",
        }
    ],
    "bills": [OUTPATIENT_BILL, INPATIENT_BILL],
}

KOREAN_MEDICINE = {
    "schema_version": "2",
    "specialty": "korean_medicine",
    "encounters": [{"date": "2024-04-05"}],
    "diagnoses": [{"code": "U23.0", "name": "기허증", "primary": True}],
    "bills": [
        {
            "number": "K-2024-0405-011",
            "issued_on": "2024-04-05",
            "visit": "outpatient",
            "period": {"from": "2024-04-05", "to": "2024-04-05"},
            "patient_category": "health_insurance",
            "lines": [
                _line("consultation", "10100", "한방 재진진찰료", "2024-04-05", 10_000, 3_000),
                _line("acupuncture", "40011", "침술(경혈)", "2024-04-05", 5_000, 1_500),
            ],
            "payments": [{"paid_on": "2024-04-05", "method": "card", "amount": 4_500}],
        }
    ],
}

YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))


def _record(
    n: int, name: str, code: str, specialty: str, content: dict[str, Any]
) -> RecordDocument:
    raw = json.dumps(content).encode()
    return RecordDocument(
        record_id=f"rec-{n}",
        institution_name=name,
        institution_code=code,
        kind="medical_record",
        specialty=specialty,
        title="진료기록",
        service_start=date(2023, 12, 1),
        service_end=date(2024, 12, 31),
        department=None,
        content_type=STRUCTURED_RECORD_CONTENT_TYPE,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        content=raw,
    )


RECORDS = [
    _record(1, "행복소아과의원", "11111111", "medical", MEDICAL),
    _record(2, "동의한의원", "33333333", "korean_medicine", KOREAN_MEDICINE),
]
COVER = CoverPage(
    issuance_number="2026-0302-000123",
    verification_code="K7QX-93MD-2LPA",
    verify_url="https://medrec.example.kr/verify?number=2026-0302-000123&code=K7QX-93MD-2LPA",
    issued_at=datetime(2026, 3, 2, 5, 30, tzinfo=UTC),
    subject_name_masked="김*수",
    institutions=["행복소아과의원", "동의한의원"],
)


@cache
def _issuer() -> tuple[bytes, bytes]:
    return create_self_signed_issuer()


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _issued(kind: DocumentType, **spec: Any) -> tuple[bytes, list[str]]:
    period = spec.pop("period", YEAR_2024)
    made = render_document(DocumentSpec(kind, *period, **spec), COVER, RECORDS)
    signed = sign_pdf(made.pdf, IssuerSigner.from_pem(*_issuer()), signing_time=COVER.issued_at)
    pages = _pages(signed)
    assert len(pages) == made.pages
    return signed, pages


def _assert_every_page_has_the_frame(kind: DocumentType, pages: list[str]) -> None:
    for text in pages:
        for expected in (
            DOCUMENT_LABELS[kind],
            "김*수",
            "요양기관기호",
            "발급번호 2026-0302-000123",
            "검증코드 K7QX-93MD-2LPA",
            "발급일 2026-03-02",
            STATEMENT,
        ):
            assert expected in text, (expected, text)


def _screenshot(kind: DocumentType, pdf: bytes) -> None:
    save_first_page(pdf, SCREENSHOTS / f"document-{kind.value}.png")


def test_treatment_confirmation_lists_the_visits_in_the_period_without_diagnoses() -> None:
    kind = DocumentType.treatment_confirmation
    signed, pages = _issued(kind)
    _assert_every_page_has_the_frame(kind, pages)
    text = "\n".join(pages)
    assert "통원확인서" in text and "행복소아과의원" in text and "11111111" in text
    assert "2024-03-02" in text and "2024-03-05" in text and "2024-04-05" in text
    assert "2023-12-20" not in text  # before the period
    assert "2024-01-01 ~ 2024-12-31" in text
    assert "J06.9" not in text and "급성 상기도감염" not in text
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_treatment_confirmation_prints_diagnoses_when_asked() -> None:
    _, pages = _issued(DocumentType.treatment_confirmation, include_diagnoses=True)
    text = "\n".join(pages)
    assert "J06.9" in text and "급성 상기도감염" in text and "U23.0" in text


def test_admission_confirmation_lists_the_stays() -> None:
    kind = DocumentType.admission_confirmation
    signed, pages = _issued(kind, include_diagnoses=True)
    _assert_every_page_has_the_frame(kind, pages)
    text = "\n".join(pages)
    assert "2024-06-10" in text and "2024-06-14" in text and "5일" in text
    assert "2·3인실" in text and "정형외과" in text
    assert "S82.1" in text  # asked for, and made during the stay
    assert "J06.9" not in text  # made at an outpatient visit
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_receipt_one_per_bill_on_form_6_or_8() -> None:
    kind = DocumentType.receipt
    signed, pages = _issued(kind)
    _assert_every_page_has_the_frame(kind, pages)
    assert len(pages) == 3  # three bills, a page each
    outpatient, inpatient, korean = pages
    assert "R-2024-0302-017" in outpatient and "별지 제6호" in outpatient
    for amount in (
        "1,262,000",
        "1,203,600",
        "1,103,600",
        "100,000",
        "1,200,000",
        "1,000,000",
        "103,600",
        "8,400",
    ):
        assert amount in outpatient, amount
    assert "건강보험" in outpatient and "■ 해당" in outpatient
    assert "I-2024-0614-003" in inpatient and "2024-06-10 ~ 2024-06-14" in inpatient
    assert "2·3인실" in inpatient and "131,000" in inpatient
    assert "별지 제8호" in korean and "침술" in korean and "33333333" in korean
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_itemised_bill_has_each_line_with_its_edi_code() -> None:
    kind = DocumentType.itemised_bill
    signed, pages = _issued(kind, period=(date(2024, 3, 1), date(2024, 3, 31)))
    _assert_every_page_has_the_frame(kind, pages)
    text = "\n".join(pages)
    for value in ("AA154", "D2711", "HF105", "재진진찰료-의원", "12,000", "1,262,000", "3,600"):
        assert value in text, value
    assert "I-2024-0614-003" not in text  # June: outside the period
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_itemised_bill_with_many_lines_runs_over_pages_headed_and_totalled() -> None:
    many = dict(OUTPATIENT_BILL, total=None, patient_total=None, payments=[])
    many["lines"] = [
        _line("laboratory", f"D{n:04d}", f"검사 {n}", "2024-03-02", 1_000 + n, 300)
        for n in range(150)
    ]
    records = [_record(9, "행복소아과의원", "11111111", "medical", dict(MEDICAL, bills=[many]))]
    made = render_document(DocumentSpec("itemised_bill", *YEAR_2024), COVER, records)
    pages = _pages(made.pdf)
    assert len(pages) > 2
    _assert_every_page_has_the_frame(DocumentType.itemised_bill, pages)
    assert all("코드" in text and "본인부담금" in text for text in pages)  # headings repeated
    assert "D0000" in pages[0] and "D0149" in pages[-1]
    assert f"{sum(1_000 + n for n in range(150)):,}" in pages[-1]


def test_a_receipt_of_many_lines_sums_them_by_row_on_its_page() -> None:
    categories = ("consultation", "laboratory", "injection", "medication", "ct", "materials")
    many = dict(OUTPATIENT_BILL, total=None, patient_total=None, payments=[])
    many["lines"] = [
        _line(categories[n % 6], f"D{n:04d}", f"항목 {n}", "2024-03-02", 1_000 + n, 300)
        for n in range(300)
    ]
    records = [_record(9, "행복소아과의원", "11111111", "medical", dict(MEDICAL, bills=[many]))]
    made = render_document(DocumentSpec("receipt", *YEAR_2024), COVER, records)
    (page,) = _pages(made.pdf)
    _assert_every_page_has_the_frame(DocumentType.receipt, [page])
    assert f"{sum(1_000 + n for n in range(300)):,}" in page  # 진료비 총액
    assert f"{300 * 300:,}" in page  # 본인부담금 and 환자부담 총액
    ct = sum(1_000 + n for n in range(300) if n % 6 == 4) - 300 * 50
    assert f"CT 진단료 {15_000:,} {ct:,}" in page  # its 50 lines on the CT row


def test_payment_confirmation_lists_the_years_payments_per_institution() -> None:
    kind = DocumentType.payment_confirmation
    signed, pages = _issued(kind)
    _assert_every_page_has_the_frame(kind, pages)
    first = pages[0]
    for value in ("2024-03-02", "1,000,000", "2024-03-04", "103,600", "2024-06-14", "131,000"):
        assert value in first, value
    assert "1,234,600" in first  # the year's total at 행복소아과의원
    assert "동의한의원" in pages[-1] and "4,500" in pages[-1]
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_prescription_copy_prints_the_drugs_and_the_kcd_code() -> None:
    kind = DocumentType.prescription
    signed, pages = _issued(kind)
    _assert_every_page_has_the_frame(kind, pages)
    text = "\n".join(pages)
    assert "별지 제9호" in text and "J06.9" in text
    for value in ("아세트아미노펜 시럽", "643301230", "5 mL", "3회", "3일", "657802440"):
        assert value in text, value
    assert verify_pdf(signed, _issuer()[1]).valid
    _screenshot(kind, signed)


def test_version_1_records_confirm_their_visits_and_other_records_are_left_out() -> None:
    v1 = {"schema_version": "1", "specialty": "medical", "encounters": [{"date": "2024-02-01"}]}
    text = "2024-05-05 내원".encode()
    scanned = replace(RECORDS[0], record_id="rec-t", content_type="text/plain", content=text)
    records = [_record(7, "옛날의원", "77777777", "medical", v1), scanned]
    made = render_document(DocumentSpec("treatment_confirmation", *YEAR_2024), COVER, records)
    (page,) = _pages(made.pdf)
    assert "옛날의원" in page and "2024-02-01" in page and "2024-05-05" not in page
    with pytest.raises(NothingToShow, match="발급할 진료비 영수증이 없습니다"):
        render_document(DocumentSpec("receipt", None, None), COVER, records)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (DocumentType.receipt, "선택한 기간에 발급할 진료비 영수증이 없습니다."),
        (DocumentType.admission_confirmation, "선택한 기간에 입퇴원확인서에 적을 입원 기록이"),
        (DocumentType.prescription, "선택한 기간에 발급할 처방전이 없습니다."),
    ],
)
def test_nothing_in_the_period_is_refused_with_the_reason(kind: DocumentType, reason: str) -> None:
    with pytest.raises(NothingToShow) as refused:
        render_document(DocumentSpec(kind, date(2022, 1, 1), date(2022, 12, 31)), COVER, RECORDS)
    assert refused.value.reason.startswith(reason)


async def _content(raw: bytes) -> AsyncGenerator[bytes, None]:
    yield raw


async def _through_the_child(spec: DocumentSpec) -> tuple[Produced | Refused, bytes]:
    key_pem, cert_pem = _issuer()
    listed = [replace(r, content=None) for r in RECORDS]
    job = CopyJob(COVER, listed, CopyLimits(), key_pem, cert_pem, spec)
    assert CopyJob.decode(job.encode()) == job
    renderers = Renderers(MEMORY)
    try:
        child = await renderers.start(job)
        try:
            for record in RECORDS:
                assert record.content is not None
                await child.send(_content(record.content))
            outcome = await child.outcome(120)
            pdf = b"".join([p async for p in child.pdf()]) if isinstance(outcome, Produced) else b""
        finally:
            await child.close()
    finally:
        await renderers.aclose()
    return outcome, pdf


def test_the_confined_child_makes_and_signs_a_receipt() -> None:
    outcome, pdf = asyncio.run(_through_the_child(DocumentSpec("receipt", *YEAR_2024)))
    assert isinstance(outcome, Produced), outcome
    assert len(pdf) == outcome.size and outcome.pages == 3
    assert verify_pdf(pdf, _issuer()[1]).valid
    assert "진료비 계산서·영수증" in _pages(pdf)[0] and "1,262,000" in _pages(pdf)[0]


def test_the_confined_child_refuses_nothing_to_show_with_the_reason() -> None:
    spec = DocumentSpec("payment_confirmation", date(2022, 1, 1), date(2022, 12, 31))
    outcome, _ = asyncio.run(_through_the_child(spec))
    assert outcome == Refused("선택한 기간에 진료비 납입확인서에 적을 납입 내역이 없습니다.")


def test_the_copy_of_a_version_2_record_holds_its_stays_and_bills() -> None:
    """진료기록 사본 copies everything deposited: a version 2 record's stays, bills (their
    lines and payments) are on the copy, as its encounters are."""
    text = "".join(_pages(render_copy(COVER, RECORDS).pdf))
    for expected in (
        "입퇴원 기록",
        "2024-06-10",
        "진료비 내역",
        "R-2024-0302-017",
        "I-2024-0614-003",
        "HF105",
        "1,200,000",
        "103,600",
    ):
        assert expected in text, expected
