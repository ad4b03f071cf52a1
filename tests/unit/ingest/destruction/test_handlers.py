"""Events are not trusted blindly: the ownership map, the refusal of an envelope from the wrong
producer or topic, the outbox that will not write another service's event, the retention
re-check before destruction, and dead-letter errors that carry no personal data."""

import uuid
from datetime import date

import pytest

from medrec_ingest.destruction.handlers import NotDue, check_due
from medrec_ingest.models import Record
from medrec_shared.platform.deadletters.errors import EventRefused
from medrec_shared.rules.events import RecordRetentionDue


def record(kind: str, service_end: date) -> Record:
    return Record(record_id=uuid.uuid4(), kind=kind, service_end=service_end)


def retention_due(r: Record, until: date) -> RecordRetentionDue:
    return RecordRetentionDue(record_id=r.record_id, retention_until=until)


def test_a_record_past_its_own_period_may_be_destroyed() -> None:
    rx = record("prescription", date(2020, 3, 1))  # kept 2 years: until 2022-03-01
    check_due(rx, retention_due(rx, date(2022, 3, 1)), today=date(2022, 3, 2))
    # catalog extended it once: the event carries the later date
    check_due(rx, retention_due(rx, date(2024, 3, 1)), today=date(2024, 3, 2))


@pytest.mark.parametrize(
    ("until", "today", "why"),
    [
        (date(2022, 3, 1), date(2022, 3, 1), "own retention period has not ended"),
        (date(2021, 1, 1), date(2021, 1, 2), "own retention period has not ended"),  # forged date
        (date(2021, 1, 1), date(2030, 1, 1), "before the record's own"),
        (date(2030, 1, 1), date(2029, 1, 1), "has not passed"),
    ],
)
def test_an_early_or_forged_retention_event_is_refused(until: date, today: date, why: str) -> None:
    rx = record("prescription", date(2020, 3, 1))
    with pytest.raises(NotDue, match=why):
        check_due(rx, retention_due(rx, until), today)


def test_refusals_park_at_once() -> None:
    assert issubclass(NotDue, EventRefused)
