"""Every text field of every event is bounded where the event is made, and no bound is longer
than the column any consumer stores the field in (issue #25): an event a consumer cannot store
is parked as a dead letter for good, and what it said (an approval in a patient's access
history) is lost.

`STORED` says, for every event type and every service that consumes its topic, where each text
field goes: a column of that service's models, or nowhere. A new event type, a new consumer of a
topic, or a new text field fails here until it is declared, so nothing slips through."""

import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import Column, String
from sqlalchemy.orm import InstrumentedAttribute

from medrec_catalog.models import (
    AccessLogEntry,
    CatalogRecord,
    Institution,
    LinkagePerson,
    StaffAuditEntry,
)
from medrec_ingest.models import Record as IngestRecord
from medrec_issuance.models import Issuance
from medrec_issuance.proxies.service import APPROVED_WITH_NOTHING_TO_COPY
from medrec_shared.rules.events import ACCESS_REASON_MAX, EVENT_TYPES, REVIEW_REASON_MAX
from medrec_shared.rules.topics import CONSUMES, OWNERS

NOWHERE = None  # the consumer reads the field (or not) but stores it nowhere
IGNORED: dict[str, Any] = {}  # the consumer's worker has no handler for the event type
Stored = dict[str, InstrumentedAttribute[Any] | None]

STORED: dict[str, dict[str, Stored]] = {
    "TransferOpened": {
        "issuance": IGNORED,
        "catalog": {
            "institution.code": Institution.code,
            "institution.name": Institution.name,
            "institution.type": Institution.type,
            "institution.address": Institution.address,
            "institution.region": Institution.region,
            "reason": NOWHERE,  # becomes the institution's status
        },
    },
    # catalog closes the transfer it knew open (the custody shown); the rest is the receipt's
    "TransferCompleted": {
        "catalog": {
            "institution_code": NOWHERE,
            "institution_name": NOWHERE,
            "manifest_sha256": NOWHERE,
            "client_id": NOWHERE,
        },
        # The 이관확인서 (#29): the facts are kept whole in a JSONB column, the name also in
        # `institutions` (an array of String(200)).
        "issuance": {
            "institution_code": Issuance.institution_code,
            "institution_name": NOWHERE,
            "manifest_sha256": NOWHERE,
            "client_id": Issuance.requester_subject,
        },
    },
    "TransferReleased": {"catalog": {"institution_code": NOWHERE}, "issuance": IGNORED},
    "RecordStored": {
        "catalog": {
            "institution_code": CatalogRecord.institution_code,
            "person_key": CatalogRecord.person_key,
            "kind": CatalogRecord.kind,
            "specialty": CatalogRecord.specialty,
            "content_type": CatalogRecord.content_type,
            "sha256": CatalogRecord.sha256,
            "match_key": CatalogRecord.match_key,
        },
        "ingest": IGNORED,
        "issuance": IGNORED,
    },
    "RecordMatchKeyAssigned": {
        "catalog": {"match_key": CatalogRecord.match_key},
        "ingest": IGNORED,
        "issuance": IGNORED,
    },
    "RecordRetentionDue": {"catalog": IGNORED, "ingest": {}, "issuance": IGNORED},
    # catalog and issuance act on the record; the reason is in ingest's own destruction log
    "RecordDestroyed": {
        "catalog": {"reason": NOWHERE},
        "ingest": IGNORED,
        "issuance": {"reason": NOWHERE},
    },
    "RecordWithdrawn": {"catalog": {"reason": NOWHERE}, "ingest": IGNORED, "issuance": IGNORED},
    "RecordLinked": {
        "catalog": IGNORED,
        "ingest": {"person_key": IngestRecord.person_key},
        "issuance": IGNORED,
    },
    "RecordUnlinked": {"catalog": IGNORED, "ingest": {}, "issuance": {}},
    "IssuanceRequested": {"issuance": {}},
    "IssuanceReady": {"issuance": IGNORED},
    "IssuanceFailed": {"issuance": IGNORED},
    "AccessRecorded": {
        "catalog": {
            "subject_person_key": AccessLogEntry.subject_person_key,
            "actor_type": AccessLogEntry.actor_type,
            "actor_id": AccessLogEntry.actor_id,
            "acting_for": AccessLogEntry.acting_for,
            "action": AccessLogEntry.action,
            "resource_type": AccessLogEntry.resource_type,
            "resource_id": AccessLogEntry.resource_id,
            "decision": AccessLogEntry.decision,
            "reason": AccessLogEntry.reason,
        },
    },
    "StaffActed": {
        "catalog": {
            "actor": StaffAuditEntry.actor,
            "actor_kind": StaffAuditEntry.actor_kind,
            "organisation": StaffAuditEntry.organisation,
            "act": StaffAuditEntry.act,
            "resource_type": StaffAuditEntry.resource_type,
            "resource_id": StaffAuditEntry.resource_id,
            "subject_person_key": StaffAuditEntry.subject_person_key,
            "reason": StaffAuditEntry.reason,
        },
    },
    # Stored by catalog's 알림함 (d29-notices); not consumed on this branch.
    "NoticeRequested": {"catalog": IGNORED},
    "PersonVerified": {
        "catalog": {
            "person_key": LinkagePerson.person_key,
            "match_key": LinkagePerson.match_key,
            "match_key_any_sex": LinkagePerson.match_key_any_sex,
        },
    },
}


def consumers_of(event_type: str) -> set[str]:
    topic = OWNERS[event_type].topic
    return {service for service, topics in CONSUMES.items() if topic in topics}


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        (only,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return only
    return annotation


def text_fields(model: type[BaseModel], prefix: str = "") -> dict[str, int | None]:
    """Each text field (nested models flattened as `outer.inner`) with its longest value: its
    max_length, the longest of its Literal values, or None when unbounded."""
    found: dict[str, int | None] = {}
    for name, field in model.model_fields.items():
        annotation, metadata = _without_none(field.annotation), list(field.metadata)
        if typing.get_origin(annotation) is Annotated:  # `Bounded | None`: the bound inside
            annotation, *inner = typing.get_args(annotation)
            for item in inner:
                metadata += item.metadata if isinstance(item, FieldInfo) else [item]
        path = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= text_fields(annotation, f"{path}.")
        elif typing.get_origin(annotation) is Literal:
            found[path] = max(len(str(v)) for v in typing.get_args(annotation))
        elif annotation is str:
            bounds = [m.max_length for m in metadata if hasattr(m, "max_length")]
            found[path] = min((b for b in bounds if b is not None), default=None)
    return found


def test_every_event_type_and_every_consumer_is_declared() -> None:
    assert set(STORED) == set(EVENT_TYPES)
    for event_type, by_consumer in STORED.items():
        assert set(by_consumer) == consumers_of(event_type), event_type


def test_every_text_field_of_every_event_is_bounded() -> None:
    unbounded = [
        f"{event_type}.{path}"
        for event_type, model in EVENT_TYPES.items()
        for path, bound in text_fields(model).items()
        if bound is None
    ]
    assert unbounded == []


def test_every_text_field_a_consumer_handles_is_declared_stored_or_not() -> None:
    for event_type, by_consumer in STORED.items():
        fields = set(text_fields(EVENT_TYPES[event_type]))
        for consumer, stored in by_consumer.items():
            if stored is IGNORED:
                continue
            assert set(stored) == fields, f"{consumer} on {event_type}"


def test_no_bound_is_longer_than_the_column_it_is_stored_in() -> None:
    too_long = []
    for event_type, by_consumer in STORED.items():
        bounds = text_fields(EVENT_TYPES[event_type])
        for consumer, stored in by_consumer.items():
            for path, attribute in stored.items():
                if attribute is None:
                    continue
                column = attribute.property.columns[0]
                assert isinstance(column, Column) and isinstance(column.type, String)
                length, bound = column.type.length, bounds[path]
                if length is not None and (bound is None or bound > length):
                    too_long.append(f"{event_type}.{path} ({bound}) > {consumer} {column} "
                                    f"({length})")  # fmt: skip
    assert too_long == []


def test_a_review_reason_fits_the_access_history_with_what_was_decided() -> None:
    """A proxy request's review reaches the patient's history after what was decided:
    "approved: …", "rejected: …", or approved with nothing to copy."""
    for decided in ("approved", "rejected", APPROVED_WITH_NOTHING_TO_COPY):
        assert len(decided) + len(": ") + REVIEW_REASON_MAX <= ACCESS_REASON_MAX
