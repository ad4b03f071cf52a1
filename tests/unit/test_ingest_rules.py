"""Ingest's rules, without a database: the deposit judgement, completion's count check and what
it names, release and its grace period, and "today" taken from the service's clock."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from medrec_ingest.deposit.judgement import expired_on_arrival, judge
from medrec_ingest.deposit.repository import OwnedRecord
from medrec_ingest.deposit.schemas import BatchLine, BatchStatus, RecordIn
from medrec_ingest.deposit.validation import parse_record
from medrec_ingest.models import Record, RecordStatus, Transfer, TransferStatus
from medrec_ingest.release.export import base64_pieces
from medrec_ingest.release.service import (
    GraceOver,
    NotReleased,
    NotSuspended,
    check_exportable,
    release,
)
from medrec_ingest.transfers.repository import Tally
from medrec_ingest.transfers.schemas import CompleteIn
from medrec_ingest.transfers.service import (
    LISTED,
    already_completed,
    effective_date_errors,
    incomplete,
    is_complete,
    listed_ids,
    missing_of,
)
from medrec_shared.platform.problems import ValidationFailed

NOW = datetime(2026, 6, 1, 3, tzinfo=UTC)


def a_record(**fields: Any) -> Record:
    values: dict[str, Any] = {
        "record_id": uuid.uuid4(),
        "kind": "prescription",
        "service_end": date(2020, 1, 10),
        "fingerprint": "f" * 64,
        "status": RecordStatus.stored,
    }
    return Record(**(values | fields))


def a_transfer(**fields: Any) -> Transfer:
    values: dict[str, Any] = {
        "transfer_id": uuid.uuid4(),
        "status": TransferStatus.open,
        "reason": "suspension",
        "record_count": None,
        "released_at": None,
        "grace_until": None,
    }
    return Transfer(**(values | fields))


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


# -- completion ---------------------------------------------------------------------------------
def test_a_repeated_completion_with_the_same_count_is_already_done() -> None:
    transfer = a_transfer(status=TransferStatus.completed, record_count=3)
    assert already_completed(transfer, 3)
    assert not already_completed(transfer, 4)
    assert not already_completed(a_transfer(), 0)


def test_listed_ids_must_be_record_count_distinct_ids() -> None:
    assert listed_ids(CompleteIn(record_count=2)) is None
    assert listed_ids(CompleteIn(record_count=2, external_ids=["b", "a"])) == ["a", "b"]
    with pytest.raises(ValidationFailed) as refused:
        listed_ids(CompleteIn(record_count=2, external_ids=["a", "a"]))
    assert refused.value.errors == [
        {"field": "external_ids", "message": "must list record_count distinct ids"}
    ]


def test_the_listed_ids_never_received_are_missing() -> None:
    assert missing_of(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert missing_of(None, set()) == []


def test_a_transfer_is_complete_only_with_the_count_all_content_in_and_nothing_missing() -> None:
    assert is_complete(2, Tally(total=2, awaiting=0), [])
    assert not is_complete(3, Tally(total=2, awaiting=0), [])
    assert not is_complete(2, Tally(total=2, awaiting=1), [])
    assert not is_complete(2, Tally(total=2, awaiting=0), ["x"])


def test_an_incomplete_transfer_names_what_is_missing() -> None:
    problem = incomplete(5, Tally(total=4, awaiting=1), ["a", "b"], ["b"], ["c"])
    assert problem.status == 409
    assert problem.type == "transfer-incomplete"
    assert problem.detail == (
        "5 records declared; 4 received, 1 of them awaiting content; 1 listed ids never received."
    )
    assert problem.extra == {
        "record_count": 5,
        "received": 4,
        "stored": 3,
        "awaiting_content": ["c"],
        "awaiting_content_total": 1,
        "missing": ["b"],
        "missing_total": 1,
    }


def test_without_listed_ids_the_problem_names_no_missing_ones() -> None:
    problem = incomplete(1, Tally(total=0, awaiting=0), None, [], [])
    assert problem.detail == "1 records declared; 0 received, 0 of them awaiting content."
    assert "missing" not in problem.extra


def test_at_most_a_hundred_missing_ids_are_named_with_their_total() -> None:
    missing = [f"id-{i:04d}" for i in range(LISTED + 5)]
    problem = incomplete(len(missing), Tally(total=0, awaiting=0), missing, missing, [])
    assert problem.extra["missing"] == missing[:LISTED]
    assert problem.extra["missing_total"] == LISTED + 5


def test_a_transfer_takes_effect_at_most_a_year_ahead_of_today() -> None:
    today = date(2026, 6, 1)
    assert effective_date_errors(today + timedelta(days=366), today) == []
    assert effective_date_errors(today + timedelta(days=367), today) == [
        {"field": "effective_date", "message": "must not be more than a year ahead"}
    ]


# -- release ------------------------------------------------------------------------------------
def test_releasing_a_suspended_institutions_transfer_opens_its_grace_period() -> None:
    transfer = a_transfer(reason="suspension")
    assert release(transfer, NOW, timedelta(days=90))
    assert transfer.status == TransferStatus.released
    assert transfer.released_at == NOW
    assert transfer.grace_until == NOW + timedelta(days=90)


def test_releasing_again_changes_nothing() -> None:
    transfer = a_transfer(status=TransferStatus.released, released_at=NOW, grace_until=NOW)
    assert not release(transfer, NOW + timedelta(days=1), timedelta(days=90))
    assert transfer.released_at == NOW and transfer.grace_until == NOW


def test_a_closed_institutions_records_are_not_released() -> None:
    transfer = a_transfer(reason="closure")
    with pytest.raises(NotSuspended):
        release(transfer, NOW, timedelta(days=90))
    assert transfer.status == TransferStatus.open


def test_records_are_exported_only_after_release_and_before_the_grace_period_ends() -> None:
    with pytest.raises(NotReleased):
        check_exportable(a_transfer(), NOW)
    released = a_transfer(status=TransferStatus.released, grace_until=NOW + timedelta(days=1))
    check_exportable(released, NOW)
    with pytest.raises(GraceOver):
        check_exportable(released, NOW + timedelta(days=1))


@pytest.mark.parametrize("sizes", [[], [1], [2, 2, 2], [3, 1, 5], [7] * 4])
async def test_content_streamed_as_base64_is_the_base64_of_the_whole(sizes: list[int]) -> None:
    data = bytes(range(256)) * 2
    pieces, start = [], 0
    for size in sizes:
        pieces.append(data[start : start + size])
        start += size

    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    encoded = b"".join([p async for p in base64_pieces(chunks())])
    assert encoded == base64.b64encode(b"".join(pieces))


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
