"""서류 발급's form and preview as the citizen reads them: 서류 종류 offers every document made
from entries and 보험 청구용 (never the copy, which is chosen record by record); a form is checked
field by field in Korean; 보험 청구용 asks for its three documents; diagnoses are asked only of the
two confirmations; amounts are written with thousands separators."""

from datetime import date
from types import SimpleNamespace

import pytest

from medrec_portal.clients.models import DocumentPreview
from medrec_portal.pages.documents import CHOICES, INSURANCE, PURPOSES, DocumentForm, Shown
from medrec_portal.web import TEMPLATES
from medrec_shared.rules.documents import DIAGNOSES_ON_REQUEST, DOCUMENT_LABELS

HELD = {"93300001": "푸른솔내과의원"}


def test_the_choices_are_the_documents_made_from_entries_and_the_insurance_claim() -> None:
    labels = set(CHOICES.values())
    # Not a copy, nor the 이관확인서 (issued to a depositor, never asked for by a citizen).
    assert labels == set(DOCUMENT_LABELS.values()) - {"진료기록 사본", "이관확인서"} | {
        "보험 청구용 (영수증·세부산정내역·처방전)"
    }


def form(**fields: object) -> DocumentForm:
    values: dict[str, object] = {"choice": "receipt", "institution": "93300001",
                                 "start": "2025-01-01", "end": "2025-12-31"} | fields  # fmt: skip
    made = DocumentForm(**values)  # type: ignore[arg-type]
    made.check(HELD)
    return made


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"choice": "record_copy"}, "document"), ({"choice": ""}, "document"),
     ({"institution": "99999999"}, "institution"), ({"start": "2025-02-30"}, "from"),
     ({"end": ""}, "to"), ({"start": "2025-12-31", "end": "2025-01-01"}, "to")],
)  # fmt: skip
def test_a_bad_field_is_named_in_korean(fields: dict[str, str], field: str) -> None:
    checked = form(**fields)
    assert list(checked.errors) == [field]
    assert "주세요" in checked.errors[field]


def test_the_insurance_claim_asks_for_its_three_and_diagnoses_only_of_confirmations() -> None:
    claim = form(choice=INSURANCE, include_diagnoses=True)
    assert not claim.errors
    assert claim.types == ["receipt", "itemised_bill", "prescription"]
    assert not any(claim.asked(t).include_diagnoses for t in claim.types)
    confirmation = form(choice="treatment_confirmation", include_diagnoses=True)
    asked = confirmation.asked("treatment_confirmation")
    assert asked.include_diagnoses and "treatment_confirmation" in DIAGNOSES_ON_REQUEST
    assert asked.body()["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    assert form(purpose="아무 말").purpose == ""  # only the listed purposes pass on


def test_the_preview_writes_amounts_with_separators_and_the_reason_of_nothing() -> None:
    preview = DocumentPreview.model_validate(
        {"document_type": "receipt", "document_label": "진료비 계산서·영수증",
         "institutions": ["푸른솔내과의원"], "records": 1,
         "bills": [{"number": "R-1", "issued_on": "2025-06-23", "visit": "inpatient",
                    "period": {"from": "2025-06-20", "to": "2025-06-23"}, "total": 1234500,
                    "patient_total": 447000}]}
    )  # fmt: skip
    page = TEMPLATES.get_template("documents.html").render(
        session=SimpleNamespace(signed_in=True, name="한도윤", acting=None),
        csrf="x", nav="documents", form=form(choice=INSURANCE), choices=CHOICES,
        institutions=HELD, purposes=PURPOSES, diagnoses_types=[], problem=None, previewed=True,
        shown=[Shown("receipt", "진료비 계산서·영수증", preview=preview),
               Shown("prescription", "처방전 사본", reason="선택한 기간에 처방전이 없습니다.")],
    )  # fmt: skip
    assert "1,234,500원" in page and "447,000원" in page
    assert "2025-06-20 ~ 2025-06-23" in page and "입원" in page
    assert "선택한 기간에 처방전이 없습니다." in page
    assert "내용이 있는 서류 1건만 발급합니다" in page
    assert date(2025, 6, 23).isoformat() in page
