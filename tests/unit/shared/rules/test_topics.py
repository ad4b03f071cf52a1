"""Events are not trusted blindly: the ownership map, the refusal of an envelope from the wrong
producer or topic, the outbox that will not write another service's event, the retention
re-check before destruction, and dead-letter errors that carry no personal data."""

import uuid
from typing import Any

import pytest
from sqlalchemy import MetaData

from medrec_shared.platform.messaging import Outbox, messaging_tables
from medrec_shared.rules.events import EVENT_TYPES, Envelope, RecordDestroyed
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
