"""Events are not trusted blindly: the ownership map, the refusal of an envelope from the wrong
producer or topic, the outbox that will not write another service's event, the retention
re-check before destruction, and dead-letter errors that carry no personal data."""

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData

from medrec_ingest.destruction.handlers import NotDue, check_due
from medrec_ingest.models import Record
from medrec_shared.platform.deadletters.errors import EventRefused, describe, is_transient
from medrec_shared.platform.messaging import Outbox, messaging_tables
from medrec_shared.rules.events import EVENT_TYPES, Envelope, RecordDestroyed, RecordRetentionDue
from medrec_shared.rules.topics import CONSUMES, EVENT_RULES, OWNERS, produces, refusal

TOPICS: dict[Any, str] = {
    "topic_transfer": "medrec.transfer.v1",
    "topic_record": "medrec.record.v1",
    "topic_issuance": "medrec.issuance.v1",
    "topic_audit": "medrec.audit.v1",
}
RRN = "880707-1234567"


def due(producer: str, **data: Any) -> Envelope:
    return Envelope(type="RecordRetentionDue", producer=producer, data=data)


def test_every_event_type_has_one_topic_and_known_owners() -> None:
    assert set(OWNERS) == set(EVENT_TYPES)
    assert all(
        o.producers <= {"identity", "ingest", "catalog", "issuance"} for o in OWNERS.values()
    )
    assert produces("catalog") == {"topic_record", "topic_audit"}
    # PersonVerified (linkage), on the topic identity's Kafka user may write
    assert produces("identity") == {"topic_audit"}
    assert set(CONSUMES) == {"ingest", "catalog", "issuance"}


def test_an_event_from_its_owner_on_its_topic_is_accepted() -> None:
    assert refusal(TOPICS, "medrec.record.v1", due("catalog")) is None


def test_an_event_from_another_producer_is_refused_without_quoting_it() -> None:
    reason = refusal(TOPICS, "medrec.record.v1", due(f"issuance {RRN}"))
    assert reason == "RecordRetentionDue from a service that does not own it"
    assert refusal(TOPICS, "medrec.record.v1", due("ingest")) == reason


def test_an_event_on_another_topic_is_refused() -> None:
    assert refusal(TOPICS, "medrec.audit.v1", due("catalog")) == (
        "RecordRetentionDue on a topic it does not belong to"
    )


def test_the_outbox_refuses_an_event_its_service_does_not_own() -> None:
    outbox = Outbox(messaging_tables(MetaData()).outbox, "catalog", rules=EVENT_RULES)
    event = RecordDestroyed(record_id=uuid.uuid4(), reason="retention_expired")
    with pytest.raises(ValueError, match="catalog does not own RecordDestroyed"):
        outbox.check(event)


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


def test_dead_letter_errors_never_quote_the_input() -> None:
    with pytest.raises(ValidationError) as invalid:
        RecordRetentionDue.model_validate({"record_id": RRN, "retention_until": "홍길동"})
    kind, message = describe(invalid.value)
    assert kind == "ValidationError"
    assert message == (
        "the payload is not valid: 2 error(s): date_from_datetime_parsing, uuid_parsing"
    )
    assert RRN not in message and "홍길동" not in message
    kind, message = describe(RuntimeError(f"patient {RRN} not found"))
    assert kind == "RuntimeError" and RRN not in message
    assert describe(EventRefused("refused: a rule"))[1] == "refused: a rule"


def test_a_dependency_away_does_not_count_as_an_attempt() -> None:
    request = httpx.Request("GET", "http://ingest/internal/v1/records/x")
    assert is_transient(httpx.ConnectError("refused", request=request))
    assert is_transient(ConnectionRefusedError())
    for status, transient in ((503, True), (429, True), (404, False), (422, False)):
        error = httpx.HTTPStatusError("", request=request, response=httpx.Response(status))
        assert is_transient(error) is transient
    assert not is_transient(ValueError())
    assert not is_transient(EventRefused("no"))
