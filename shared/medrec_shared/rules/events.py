"""The events' payloads, carried in the platform's envelope (medrec_shared.platform.envelope). JSON
on the wire; never an RRN, a name or clinical content: events carry ids, keyed hashes, codes, dates
and counts.

Every text field is bounded here, where the event is made (an event over its bounds cannot be
built, so it is refused in the request that would announce it), to no more than what each
consumer stores: an event a consumer cannot store is parked as a dead letter for good, and what
it said (an access in someone's history) is lost. tests/unit/test_event_bounds.py checks each
bound against each consumer's column."""

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

# The envelope is the platform's (medrec_shared.platform.envelope); named here too, where the
# services have always imported it beside the payloads.
from medrec_shared.platform.envelope import Envelope as Envelope
from medrec_shared.platform.envelope import EventData

# The bounds of the events' text fields, named for what they hold.
Key = Annotated[str, Field(max_length=64)]  # a keyed hash, a subject or person id, a SHA-256
InstitutionCode = Annotated[str, Field(max_length=8)]
Vocabulary = Annotated[str, Field(max_length=32)]  # a record's kind or specialty, a resource type
ContentType = Annotated[str, Field(max_length=100)]
Reason = Annotated[str, Field(max_length=200)]  # a reason in words, written by the service
# An operator's review reason, as the access history shows it: up to REVIEW_REASON_MAX as typed,
# with what was decided ("approved: ") before it.
REVIEW_REASON_MAX = 500
ACCESS_REASON_MAX = 1000
ExternalIdText = Annotated[str, Field(max_length=200)]  # an institution's own id of a record
MISSING_LISTED = 100  # missing external ids a TransferCompleted names, at most


# -- medrec.transfer.v1 (key: transfer id) ----------------------------------------------------
class InstitutionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: InstitutionCode
    name: Annotated[str, Field(max_length=200)]
    type: Annotated[str, Field(max_length=50)]
    address: Annotated[str, Field(max_length=300)]
    region: Annotated[str, Field(max_length=50)]


class TransferOpened(EventData):
    type: ClassVar[str] = "TransferOpened"
    transfer_id: uuid.UUID
    institution: InstitutionInfo
    reason: Literal["closure", "suspension"]
    effective_date: date


class TransferCompleted(EventData):
    type: ClassVar[str] = "TransferCompleted"
    transfer_id: uuid.UUID
    institution_code: InstitutionCode
    record_count: int
    expired_on_arrival: int
    # What the 이관확인서 says (#29); absent from events written before it.
    institution_name: Annotated[str, Field(max_length=200)] | None = None
    counts: dict[Vocabulary, int] = Field(default_factory=dict)  # stored records by kind
    period_from: date | None = None
    period_to: date | None = None
    manifest_sha256: Key | None = None  # of the declared manifest, when one was declared
    missing: int = 0  # declared lines not stored (completed with missing)
    # The first MISSING_LISTED of them by external id, for the receipt to name (#29, d29-receipts).
    missing_ids: Annotated[list[ExternalIdText], Field(max_length=MISSING_LISTED)] = Field(
        default_factory=list
    )
    completed_at: datetime | None = None
    client_id: Key | None = None  # the depositing client: the receipt is issued to it


class TransferReleased(EventData):
    type: ClassVar[str] = "TransferReleased"
    transfer_id: uuid.UUID
    institution_code: InstitutionCode
    grace_until: datetime


# -- medrec.record.v1 (key: person key, or record id when unmatched) ---------------------------
class RecordStored(EventData):
    type: ClassVar[str] = "RecordStored"
    record_id: uuid.UUID
    transfer_id: uuid.UUID
    institution_code: InstitutionCode
    person_key: Key | None
    kind: Vocabulary
    specialty: Vocabulary
    service_start: date
    service_end: date
    content_type: ContentType
    size: int
    sha256: Key
    # A record without an RRN (person_key None): the keyed hash of its normalised name, birth
    # date and sex (medrec_shared.rules.linkage), for catalog to propose linkage candidates.
    match_key: Key | None = None


class RecordMatchKeyAssigned(EventData):
    """A record deposited without an RRN before match keys existed got its match key later
    (ingest's `medrec-ingest-linkage backfill`): catalog proposes its linkage candidates as it
    would have on its RecordStored. Keyed by the record id, as its RecordStored was."""

    type: ClassVar[str] = "RecordMatchKeyAssigned"
    record_id: uuid.UUID
    match_key: Key


class RecordRetentionDue(EventData):
    type: ClassVar[str] = "RecordRetentionDue"
    record_id: uuid.UUID
    retention_until: date


class RecordDestroyed(EventData):
    type: ClassVar[str] = "RecordDestroyed"
    record_id: uuid.UUID
    reason: Reason


class RecordWithdrawn(EventData):
    type: ClassVar[str] = "RecordWithdrawn"
    record_id: uuid.UUID
    reason: Reason


class RecordLinked(EventData):
    """An operator approved a linkage candidate: the record without an RRN is now the person's,
    filed under their key as if it had come with their RRN (catalog; ingest files it too)."""

    type: ClassVar[str] = "RecordLinked"
    record_id: uuid.UUID
    person_key: Key
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
    sha256: Key


class IssuanceFailed(EventData):
    type: ClassVar[str] = "IssuanceFailed"
    issuance_id: uuid.UUID
    reason: Reason


# -- medrec.audit.v1 (key: subject person key) -------------------------------------------------
class AccessRecorded(EventData):
    type: ClassVar[str] = "AccessRecorded"
    subject_person_key: Key
    # "staff": a staff person, named by organisation and role only ("khis:reviewer"): who the
    # person was is in the audit trail (StaffActed), for the auditor, not in the citizen's history
    # "recipient": whom the citizen shared a document with (제출), downloading it with the link
    # and its access code: `actor_id` is the share's id, `reason` the recipient as the citizen
    # named them (their history says who opened it; names are never logged)
    actor_type: Literal["citizen", "guardian", "operator", "service", "proxy", "staff", "recipient"]
    actor_id: Key
    acting_for: Key | None = None
    action: Literal[
        "list",
        "view",
        "issuance_request",
        "download",
        "verify",
        "link",
        "unlink",
        "retention_extension",
    ]
    resource_type: Vocabulary
    resource_id: Key
    decision: Literal["allowed", "denied"]
    reason: Annotated[str, Field(max_length=ACCESS_REASON_MAX)] | None = None


class StaffActed(EventData):
    """A staff person or a machine account did an admin act, or read personal data (catalog keeps
    these as the audit trail the auditor reads). The one event that names the person; keyed by
    the actor on the audit topic. `subject_person_key` is whose data it was, when it was."""

    type: ClassVar[str] = "StaffActed"
    actor: Key  # the staff login, or the machine account's client id
    actor_kind: Literal["staff", "machine"]
    organisation: Key
    roles: Annotated[list[Vocabulary], Field(max_length=8)]
    act: Annotated[str, Field(max_length=64)]  # "proxy_request.view", "transfer.propose_release"
    resource_type: Vocabulary
    resource_id: Key
    subject_person_key: Key | None = None
    reason: Annotated[str, Field(max_length=ACCESS_REASON_MAX)] | None = None


class PersonVerified(EventData):
    """A person verified (identity, on every confirmed verification): the match keys of their
    normalised name, birth date and sex (medrec_shared.rules.linkage), for catalog to propose the
    records without an RRN that may be theirs. Keyed by the person key on the audit topic."""

    type: ClassVar[str] = "PersonVerified"
    person_id: uuid.UUID
    person_key: Key
    match_key: Key
    match_key_any_sex: Key


class NoticeRequested(EventData):
    """A person is to be told something (`rules.notices`): catalog keeps their 알림함 and sends
    what they chose. `notice_key` makes it idempotent: one notice per (person, key), however
    often it is asked. `params` hold no clinical content (an institution's name, a kind's label,
    an issuance number, a date). Keyed by the person on the audit topic."""

    type: ClassVar[str] = "NoticeRequested"
    person_key: Key
    kind: Vocabulary
    notice_key: Annotated[str, Field(max_length=120)]
    params: dict[Vocabulary, Annotated[str, Field(max_length=200)]] = Field(default_factory=dict)


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
        StaffActed,
        PersonVerified,
        NoticeRequested,
    )
}
