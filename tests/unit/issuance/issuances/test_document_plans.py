"""What a document will hold, decided from the records' facts before anything is stored
(medrec_issuance.issuances.documents): the period rules select the entries, a document with
nothing to show is refused with its Korean reason, and bad combinations name their field."""

import uuid
from datetime import date

import pytest

from medrec_issuance.issuances.documents import (
    DocumentPlan,
    NothingToShow,
    Selection,
    plan_document,
    require_valid_selection,
)
from medrec_shared.platform.problems import ValidationFailed
from medrec_shared.rules.contracts import BillFact, DocumentFacts, PaymentFact, StayFact
from medrec_shared.rules.documents import DocumentType, Period

BILLED, PLAIN = uuid.uuid4(), uuid.uuid4()
INSTITUTIONS = {BILLED: "푸른숲내과의원", PLAIN: "하얀이치과의원"}
YEAR_2024 = Period(start=date(2024, 1, 1), end=date(2024, 12, 31))


def facts(record_id: uuid.UUID, *, billed: bool) -> DocumentFacts:
    bills = [
        BillFact(
            number="R-1",
            issued_on=date(2024, 3, 2),
            visit="outpatient",
            period_from=date(2024, 3, 2),
            period_to=date(2024, 3, 2),
            korean_medicine=False,
            total=45_300,
            patient_total=15_300,
        ),
        BillFact(
            number="R-2",
            issued_on=date(2025, 1, 10),
            visit="inpatient",
            period_from=date(2024, 12, 28),
            period_to=date(2025, 1, 10),
            korean_medicine=False,
            total=1_234_500,
            patient_total=234_500,
        ),
    ]
    return DocumentFacts(
        record_id=record_id,
        schema_version="2" if billed else "1",
        specialty="medical",
        visit_dates=[date(2024, 3, 2), date(2023, 5, 1), date(2024, 3, 2)],
        admissions=[StayFact(admitted_on=date(2024, 12, 28), discharged_on=date(2025, 1, 10))]
        if billed
        else [],
        bills=bills if billed else [],
        payments=[
            PaymentFact(bill_number="R-1", paid_on=date(2024, 3, 2), amount=15_300),
            PaymentFact(bill_number="R-2", paid_on=date(2025, 1, 10), amount=234_500),
        ]
        if billed
        else [],
        prescription_dates=[date(2024, 3, 2), None],
        has_diagnoses=True,
    )


def plan(
    kind: DocumentType, period: Period | None = YEAR_2024, *, include_diagnoses: bool = False
) -> DocumentPlan:
    selection = Selection(
        document_type=kind,
        record_ids=[BILLED, PLAIN],
        period=period,
        include_diagnoses=include_diagnoses,
    )
    return plan_document(
        selection,
        [BILLED, PLAIN],
        [facts(BILLED, billed=True), facts(PLAIN, billed=False)],
        INSTITUTIONS,
    )


def test_a_receipt_holds_the_bills_whose_treatment_shares_a_day_with_the_period() -> None:
    receipt = plan(DocumentType.receipt)
    assert [b.number for b in receipt.bills] == ["R-1", "R-2"]  # R-2 runs into 2024
    assert receipt.record_ids == [BILLED] and receipt.institutions == ["푸른숲내과의원"]
    assert receipt.visits == [] and receipt.payments == []


def test_a_payment_confirmation_holds_the_payments_made_in_the_year() -> None:
    confirmation = plan(DocumentType.payment_confirmation)
    assert [p.amount for p in confirmation.payments] == [15_300]
    assert confirmation.payments_total == 15_300


def test_a_treatment_confirmation_holds_each_visit_day_once_from_every_record() -> None:
    confirmation = plan(DocumentType.treatment_confirmation, include_diagnoses=True)
    assert confirmation.visits == [date(2024, 3, 2)]
    assert confirmation.record_ids == [BILLED, PLAIN]
    assert confirmation.institutions == ["푸른숲내과의원", "하얀이치과의원"]
    assert confirmation.diagnoses_included
    assert not plan(DocumentType.treatment_confirmation).diagnoses_included


def test_without_a_period_everything_counts_but_an_undated_prescription_only_then() -> None:
    assert plan(DocumentType.prescription).prescriptions == 2
    assert plan(DocumentType.prescription, period=None).prescriptions == 4
    assert len(plan(DocumentType.treatment_confirmation, period=None).visits) == 2


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        (DocumentType.receipt, "선택한 기간에 발급할 진료비 영수증이 없습니다."),
        (DocumentType.itemised_bill, "선택한 기간에 발급할 진료비 세부산정내역이 없습니다."),
        (DocumentType.admission_confirmation,
         "선택한 기간에 입퇴원확인서에 적을 입원 기록이 없습니다."),
        (DocumentType.payment_confirmation,
         "선택한 기간에 진료비 납입확인서에 적을 납입 내역이 없습니다."),
        (DocumentType.treatment_confirmation,
         "선택한 기간에 진료확인서에 적을 내원 기록이 없습니다."),
        (DocumentType.prescription, "선택한 기간에 발급할 처방전이 없습니다."),
    ],
)  # fmt: skip
def test_nothing_in_the_period_is_refused_with_the_reason(kind: DocumentType, detail: str) -> None:
    with pytest.raises(NothingToShow) as refused:
        plan(kind, period=Period(start=date(2020, 1, 1), end=date(2020, 12, 31)))
    assert refused.value.status == 422 and refused.value.detail == detail
    assert refused.value.body()["type"].endswith("/nothing-to-show")


def test_records_that_are_not_structured_hold_nothing() -> None:
    selection = Selection(document_type=DocumentType.treatment_confirmation, record_ids=[PLAIN])
    with pytest.raises(NothingToShow, match="선택한 기록에"):
        plan_document(selection, [PLAIN], [], INSTITUTIONS)


@pytest.mark.parametrize(
    ("selection", "fields"),
    [
        (Selection(), ["record_ids"]),
        (Selection(record_ids=[BILLED], institution_code="61000001"), ["institution_code"]),
        (Selection(record_ids=[BILLED], period=YEAR_2024), ["period"]),
        (Selection(document_type=DocumentType.receipt), ["record_ids"]),
        (
            Selection(
                document_type=DocumentType.receipt, record_ids=[BILLED], institution_code="61000001"
            ),
            ["record_ids"],
        ),
        (
            Selection(
                document_type=DocumentType.receipt, record_ids=[BILLED], include_diagnoses=True
            ),
            ["include_diagnoses"],
        ),
        (Selection(record_ids=[BILLED], include_diagnoses=True), ["include_diagnoses"]),
    ],
)
def test_bad_combinations_name_their_field(selection: Selection, fields: list[str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        require_valid_selection(selection)
    assert [e["field"] for e in refused.value.errors or []] == fields


def test_good_combinations_pass() -> None:
    require_valid_selection(Selection(record_ids=[BILLED]))
    require_valid_selection(
        Selection(
            document_type=DocumentType.admission_confirmation,
            institution_code="61000001",
            period=YEAR_2024,
            include_diagnoses=True,
        )
    )
    require_valid_selection(Selection(document_type=DocumentType.prescription, record_ids=[PLAIN]))
