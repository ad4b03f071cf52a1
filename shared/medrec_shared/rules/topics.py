"""Who may say what on which topic (ARCHITECTURE.md, "Events"), in one place: the consumers
refuse an envelope whose `producer` does not own its event type or that came on another topic,
the outbox refuses to write an event its service does not own, the workers subscribe to
`CONSUMES`, and the Kafka ACLs in deploy/k8s are checked against both maps.

A topic can have several producers (catalog announces RecordRetentionDue, RecordLinked and
RecordUnlinked on ingest's record topic; catalog and issuance both record accesses; identity
announces PersonVerified on the audit topic, keyed by the person like every event there, and
the one identity's Kafka user may already write; ingest and identity record their service
clients' content and demographics reads there too), so ownership is per event type.

The `producer` field is what the sender says it is: this check stops a misrouted or
misconfigured producer, and a forged event from a service that may write the topic but not that
event. Who may write a topic at all is the broker's ACLs (SASL/SCRAM identities, one per
service)."""

from collections.abc import Mapping
from dataclasses import dataclass

from medrec_shared.platform.envelope import EventRules
from medrec_shared.platform.kafka import consumer_group as consumer_group  # read with these rules
from medrec_shared.platform.settings import TopicSetting
from medrec_shared.rules.events import EVENT_TYPES, Envelope

SERVICES = ("identity", "ingest", "catalog", "issuance")


@dataclass(frozen=True)
class Ownership:
    topic: TopicSetting
    producers: frozenset[str]


def _owned(topic: TopicSetting, *producers: str) -> Ownership:
    return Ownership(topic, frozenset(producers))


OWNERS: dict[str, Ownership] = {
    "TransferOpened": _owned("topic_transfer", "ingest"),
    "TransferCompleted": _owned("topic_transfer", "ingest"),
    "TransferReleased": _owned("topic_transfer", "ingest"),
    "RecordStored": _owned("topic_record", "ingest"),
    "RecordMatchKeyAssigned": _owned("topic_record", "ingest"),
    "RecordRetentionDue": _owned("topic_record", "catalog"),
    "RecordDestroyed": _owned("topic_record", "ingest"),
    "RecordWithdrawn": _owned("topic_record", "ingest"),
    "RecordLinked": _owned("topic_record", "catalog"),
    "RecordUnlinked": _owned("topic_record", "catalog"),
    "IssuanceRequested": _owned("topic_issuance", "issuance"),
    "IssuanceReady": _owned("topic_issuance", "issuance"),
    "IssuanceFailed": _owned("topic_issuance", "issuance"),
    "AccessRecorded": _owned("topic_audit", "catalog", "issuance", "ingest", "identity"),
    "StaffActed": _owned("topic_audit", "catalog", "issuance", "ingest", "identity"),
    "PersonVerified": _owned("topic_audit", "identity"),
    "NoticeRequested": _owned("topic_audit", "catalog", "issuance"),
}
assert set(OWNERS) == set(EVENT_TYPES), "every event type has its owners"

# The topics each service's worker reads, in one consumer group (`consumer_group`). A service
# absent here consumes nothing (identity).
CONSUMES: dict[str, tuple[TopicSetting, ...]] = {
    "ingest": ("topic_record",),  # RecordRetentionDue, RecordLinked, RecordUnlinked
    "catalog": ("topic_transfer", "topic_record", "topic_audit"),
    # IssuanceRequested; RecordDestroyed and RecordUnlinked (the copies holding the record go);
    # TransferCompleted (the transfer's 이관확인서 is made)
    "issuance": ("topic_issuance", "topic_record", "topic_transfer"),
}


def produces(service: str) -> set[TopicSetting]:
    """The topics `service` writes to: those of the events it owns."""
    return {o.topic for o in OWNERS.values() if service in o.producers}


def lag_measured(service: str) -> set[str]:
    """The consuming services (their groups) whose lag `service`'s worker measures: those that
    read a topic it writes to (medrec_shared.platform.observability.lag); its KafkaUser needs
    Describe on their groups."""
    written = produces(service)
    return {consumer for consumer, read in CONSUMES.items() if written & set(read)}


def owns(service: str, event_type: str) -> bool:
    owner = OWNERS.get(event_type)
    return owner is not None and service in owner.producers


def refusal(topic_names: Mapping[TopicSetting, str], topic: str, envelope: Envelope) -> str | None:
    """Why an envelope read from `topic` is not to be trusted, or None. The reason names only
    the event type and the rule (never the envelope's own strings: they are the sender's)."""
    owner = OWNERS.get(envelope.type)
    if owner is None:
        return "an unknown event type"
    if envelope.producer not in owner.producers:
        return f"{envelope.type} from a service that does not own it"
    if topic_names[owner.topic] != topic:
        return f"{envelope.type} on a topic it does not belong to"
    return None


EVENT_RULES = EventRules(
    producers=frozenset(SERVICES), consumes=CONSUMES, owns=owns, refusal=refusal
)
"""These rules as the platform's delivery asks them: every service's composition hands them to
its `Outbox`, and its worker to `consumer_task`."""
