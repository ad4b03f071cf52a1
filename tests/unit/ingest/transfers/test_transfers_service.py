"""Ingest's rules, without a database: the deposit judgement, completion's count check and what
it names, release and its grace period, and "today" taken from the service's clock."""

from datetime import date, timedelta

import pytest

from medrec_ingest.models import TransferStatus
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
from tests.support.builders import a_transfer


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
