"""Ingest's rules, without a database: the deposit judgement, completion's count check and what
it names, release and its grace period, and "today" taken from the service's clock."""

import json
import uuid
from datetime import date
from typing import Any

import pytest

from medrec_ingest.deposit.judgement import expired_on_arrival, judge
from medrec_ingest.deposit.repository import OwnedRecord
from medrec_ingest.deposit.schemas import BatchLine, BatchStatus, RecordIn
from medrec_ingest.deposit.validation import parse_record
from medrec_ingest.models import Record, RecordStatus
from medrec_shared.platform.problems import ValidationFailed


def a_record(**fields: Any) -> Record:
    values: dict[str, Any] = {
        "record_id": uuid.uuid4(),
        "kind": "prescription",
        "service_end": date(2020, 1, 10),
        "fingerprint": "f" * 64,
        "status": RecordStatus.stored,
    }
    return Record(**(values | fields))


# -- today, from the service's clock ------------------------------------------------------------
def record_json(**fields: Any) -> bytes:
    body = {
        "patient": {"rrn": None, "name": "박검증", "birth_date": "1988-08-08", "sex": "male"},
        "kind": "medical_record",
        "specialty": "medical",
        "title": "외래 진료기록",
        "service_start": "2026-05-30",
        "service_end": "2026-06-01",
        "content": {"content_type": "text/plain", "data_base64": "YQ=="},
    } | fields
    return json.dumps(body, ensure_ascii=False).encode()


# -- the deposit judgement ----------------------------------------------------------------------
def test_the_same_record_again_from_the_same_client_is_unchanged() -> None:
    held = OwnedRecord(a_record(fingerprint="a" * 64), client_id="emr-1")
    assert judge(held, "a" * 64, "emr-1") is BatchStatus.unchanged


def test_other_content_under_a_taken_external_id_is_a_conflict() -> None:
    held = OwnedRecord(a_record(fingerprint="a" * 64), client_id="emr-1")
    assert judge(held, "b" * 64, "emr-1") is BatchStatus.conflict


def test_the_same_record_from_another_client_is_a_conflict() -> None:
    held = OwnedRecord(a_record(fingerprint="a" * 64), client_id="emr-1")
    assert judge(held, "a" * 64, "emr-2") is BatchStatus.conflict


def test_a_record_past_its_retention_on_the_day_it_arrives_is_expired_on_arrival() -> None:
    record = a_record(kind="prescription", service_end=date(2020, 1, 10))  # kept until 2022-01-10
    assert not expired_on_arrival(record, date(2022, 1, 10))
    assert expired_on_arrival(record, date(2022, 1, 11))


def test_a_service_date_is_in_the_future_only_after_the_given_today() -> None:
    assert parse_record(record_json(), RecordIn, date(2026, 6, 1)).service_end == date(2026, 6, 1)
    with pytest.raises(ValidationFailed) as refused:
        parse_record(record_json(), RecordIn, date(2026, 5, 31))
    assert [e["field"] for e in (refused.value.errors or [])] == ["service_end"]


def test_a_batch_line_is_judged_by_the_given_today_too() -> None:
    line = record_json(external_id="chart-1", patient={
        "rrn": None, "name": "박검증", "birth_date": "2026-06-02", "sex": "male"
    })  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        parse_record(line, BatchLine, date(2026, 6, 1))
    assert "patient.birth_date" in [e["field"] for e in (refused.value.errors or [])]


def test_a_record_validated_without_a_today_is_our_error_not_the_clients() -> None:
    with pytest.raises(TypeError):
        RecordIn.model_validate_json(record_json())
