"""Event envelope and payloads. JSON on the wire; never an RRN, a name or clinical content:
events carry ids, keyed hashes, codes, dates and counts."""

import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from medrec_shared.ids import new_id
from medrec_shared.logs import get_correlation_id


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: ClassVar[str]


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=new_id)
    type: str
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str = Field(default_factory=get_correlation_id)
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls, producer: str, data: EventData, *, occurred_at: datetime | None = None
    ) -> "Envelope":
        return cls(
            type=data.type,
            producer=producer,
            data=data.model_dump(mode="json"),
            occurred_at=occurred_at or datetime.now(UTC),
        )

    def payload(self) -> EventData:
        return EVENT_TYPES[self.type].model_validate(self.data)


# -- medrec.transfer.v1 (key: transfer id) ----------------------------------------------------
class InstitutionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    name: str
    type: str
    address: str
    region: str


class TransferOpened(EventData):
    type: ClassVar[str] = "TransferOpened"
    transfer_id: uuid.UUID
    institution: InstitutionInfo
    reason: Literal["closure", "suspension"]
    effective_date: date


class TransferCompleted(EventData):
    type: ClassVar[str] = "TransferCompleted"
    transfer_id: uuid.UUID
    institution_code: str
    record_count: int
    expired_on_arrival: int


class TransferReleased(EventData):
    type: ClassVar[str] = "TransferReleased"
    transfer_id: uuid.UUID
    institution_code: str
    grace_until: datetime


# -- medrec.record.v1 (key: person key, or record id when unmatched) ---------------------------
class RecordStored(EventData):
    type: ClassVar[str] = "RecordStored"
    record_id: uuid.UUID
    transfer_id: uuid.UUID
    institution_code: str
    person_key: str | None
    kind: str
    specialty: str
    service_start: date
    service_end: date
    content_type: str
    size: int
    sha256: str
    # A record without an RRN (person_key None): the keyed hash of its normalised name, birth
    # date and sex (medrec_shared.linkage), for catalog to propose linkage candidates.
    match_key: str | None = None


class RecordMatchKeyAssigned(EventData):
    """A record deposited without an RRN before match keys existed got its match key later
    (ingest's `medrec-ingest-linkage backfill`): catalog proposes its linkage candidates as it
    would have on its RecordStored. Keyed by the record id, as its RecordStored was."""

    type: ClassVar[str] = "RecordMatchKeyAssigned"
    record_id: uuid.UUID
    match_key: str


class RecordRetentionDue(EventData):
    type: ClassVar[str] = "RecordRetentionDue"
    record_id: uuid.UUID
    retention_until: date


class RecordDestroyed(EventData):
    type: ClassVar[str] = "RecordDestroyed"
    record_id: uuid.UUID
    reason: str


class RecordWithdrawn(EventData):
    type: ClassVar[str] = "RecordWithdrawn"
    record_id: uuid.UUID
    reason: str


class RecordLinked(EventData):
    """An operator approved a linkage candidate: the record without an RRN is now the person's,
    filed under their key as if it had come with their RRN (catalog; ingest files it too)."""

    type: ClassVar[str] = "RecordLinked"
    record_id: uuid.UUID
    person_key: str
    candidate_id: uuid.UUID


class RecordUnlinked(EventData):
    """An operator undid a wrong link: the record is unmatched again."""

    type: ClassVar[str] = "RecordUnlinked"
    record_id: uuid.UUID
    candidate_id: uuid.UUID


# -- medrec.issuance.v1 (key: issuance id) ----------------------------------------------------
class IssuanceRequested(EventData):
    type: ClassVar[str] = "IssuanceRequested"
    issuance_id: uuid.UUID
    record_count: int


class IssuanceReady(EventData):
    type: ClassVar[str] = "IssuanceReady"
    issuance_id: uuid.UUID
    pages: int
    sha256: str


class IssuanceFailed(EventData):
    type: ClassVar[str] = "IssuanceFailed"
    issuance_id: uuid.UUID
    reason: str


# -- medrec.audit.v1 (key: subject person key) -------------------------------------------------
class AccessRecorded(EventData):
    type: ClassVar[str] = "AccessRecorded"
    subject_person_key: str
    actor_type: Literal["citizen", "guardian", "operator", "service", "proxy"]
    actor_id: str
    acting_for: str | None = None
    action: Literal["list", "view", "issuance_request", "download", "verify", "link", "unlink"]
    resource_type: str
    resource_id: str
    decision: Literal["allowed", "denied"]
    reason: str | None = None


class PersonVerified(EventData):
    """A person verified (identity, on every confirmed verification): the match keys of their
    normalised name, birth date and sex (medrec_shared.linkage), for catalog to propose the
    records without an RRN that may be theirs. Keyed by the person key on the audit topic."""

    type: ClassVar[str] = "PersonVerified"
    person_id: uuid.UUID
    person_key: str
    match_key: str
    match_key_any_sex: str


EVENT_TYPES: dict[str, type[EventData]] = {
    cls.type: cls
    for cls in (
        TransferOpened,
        TransferCompleted,
        TransferReleased,
        RecordStored,
        RecordMatchKeyAssigned,
        RecordRetentionDue,
        RecordDestroyed,
        RecordWithdrawn,
        RecordLinked,
        RecordUnlinked,
        IssuanceRequested,
        IssuanceReady,
        IssuanceFailed,
        AccessRecorded,
        PersonVerified,
    )
}
