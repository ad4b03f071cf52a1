"""Catalog's tables and the vocabulary of their status columns. A status is stored as its plain
value (VARCHAR(16), as the migrations made it) and read back as its `StrEnum`, which serialises
as that same value."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Computed,
    Dialect,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from medrec_shared.platform.db import Base, new_metadata
from medrec_shared.platform.deadletters.table import dead_letter_table
from medrec_shared.platform.messaging import messaging_tables
from medrec_shared.platform.schedule import schedule_table
from medrec_shared.rules.custody import CustodyStatus


class InstitutionStatus(StrEnum):
    closed = "closed"
    suspended = "suspended"
    # a suspended institution that reopened and took its records back
    reopened = "reopened"


class RecordStatus(StrEnum):
    available = "available"
    due = "due"  # past its period, destruction asked of ingest
    destroyed = "destroyed"
    withdrawn = "withdrawn"


class DeliveryStatus(StrEnum):
    pending = "pending"  # to be sent by the worker's deliverer
    sent = "sent"
    failed = "failed"  # the sender refused it after every attempt
    no_contact = "no_contact"  # nowhere to send it (no verified phone known)


class CandidateStatus(StrEnum):
    pending = "pending"
    approved = "approved"  # the record is linked to this person
    rejected = "rejected"
    closed = "closed"  # another candidate of the record was approved
    unlinked = "unlinked"  # approved, then undone by an operator


S = TypeVar("S", bound=StrEnum)


class StatusColumn(TypeDecorator[S], Generic[S]):
    """A `StrEnum` in a VARCHAR(16): the schema stays what the migrations made."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[S]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> S | None:
        return None if value is None else self.enum(value)


class CatalogBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = messaging_tables(CatalogBase.metadata)
schedule_runs = schedule_table(CatalogBase.metadata)
dead_letters = dead_letter_table(CatalogBase.metadata)


class Institution(CatalogBase):
    __tablename__ = "institutions"
    __table_args__ = (
        # `q` matches any part of a Korean name, spacing ignored (directory.repository): pg_trgm
        # on the folded name, and its letter pairs for two-letter queries (d7e3f9a1b254).
        Index(
            "ix_institutions_name_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
        Index("ix_institutions_name_pairs", "name_pairs", postgresql_using="gin"),
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[InstitutionStatus] = mapped_column(StatusColumn(InstitutionStatus))
    closed_on: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # Kept by PostgreSQL from `name` (migration d7e3f9a1b254); never loaded, only searched.
    name_folded: Mapped[str] = mapped_column(
        Text, Computed(r"lower(regexp_replace(name, '\s', '', 'g'))"), deferred=True
    )
    name_pairs: Mapped[list[str]] = mapped_column(
        ARRAY(Text), Computed("name_bigrams(name)"), deferred=True
    )
    # Who holds the records when they are not here (directory.custody; migration 9c4e2f7a1d63).
    # `held` and `transferring` are never stored: they follow from records and open transfers.
    custody_status: Mapped[CustodyStatus] = mapped_column(
        StatusColumn(CustodyStatus), default=CustodyStatus.unknown, server_default="unknown"
    )
    custody_holder: Mapped[str | None] = mapped_column(String(200))
    custody_contact: Mapped[str | None] = mapped_column(String(200))
    custody_updated_by: Mapped[str | None] = mapped_column(String(64))
    custody_updated_at: Mapped[datetime | None]
    # "deposit": a transfer brought it; "hira": only the public closure data knows it.
    source: Mapped[str] = mapped_column(String(16), default="deposit", server_default="deposit")
    # An imported closure without a 요양기관기호 (HIRA publishes none for closed clinics): its
    # natural key, so that a re-import updates the row instead of adding another.
    hira_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The transfer open for it (TransferOpened), cleared when it completes or is released.
    open_transfer_id: Mapped[uuid.UUID | None]


class CatalogRecord(CatalogBase):
    """A record catalog holds. The table is split in 16 partitions by the hash of person_key
    (migration e7b4d2a9c615): a statement that names the person reads one partition, one by
    record_id alone probes each partition's key. PostgreSQL allows no primary key on the parent
    (person_key, the partition key, may be NULL): each partition has its own on record_id,
    which the ORM takes as the identity."""

    __tablename__ = "records"
    __table_args__ = (
        # A person's list (records.repository): its filter and its keyset order, newest first.
        Index(
            "ix_records_person_page",
            "person_key",
            "status",
            text("service_end DESC"),
            text("record_id DESC"),
        ),
        {"postgresql_partition_by": "HASH (person_key)"},
    )
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_key: Mapped[str | None] = mapped_column(String(64))
    # Without an RRN: the keyed hash of the normalised name, birth date and sex (linkage/).
    match_key: Mapped[str | None] = mapped_column(String(64), index=True)
    institution_code: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    department: Mapped[str | None] = mapped_column(String(100))
    service_start: Mapped[date]
    service_end: Mapped[date]
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    retention_until: Mapped[date] = mapped_column(index=True)
    retention_extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    extended_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[RecordStatus] = mapped_column(
        StatusColumn(RecordStatus), default=RecordStatus.available, index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class InstitutionRecordCount(CatalogBase):
    """How many of an institution's records are in each status. Kept by the database itself:
    statement triggers on `records` apply each statement's delta (migration d7e3f9a1b254), so
    no code path can forget it. Read only."""

    __tablename__ = "institution_record_counts"
    institution_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[RecordStatus] = mapped_column(StatusColumn(RecordStatus), primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger)


class AccessLogEntry(CatalogBase):
    __tablename__ = "access_log"
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_person_key: Mapped[str] = mapped_column(String(64), index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    # As long as AccessRecorded.reason may be (tests/unit/test_event_bounds.py checks it).
    reason: Mapped[str | None] = mapped_column(String(1000))
    occurred_at: Mapped[datetime]


class LinkagePerson(CatalogBase):
    """A verified person as linkage knows them: ids and match keys only (PersonVerified)."""

    __tablename__ = "linkage_persons"
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[uuid.UUID]
    match_key: Mapped[str] = mapped_column(String(64), index=True)
    match_key_any_sex: Mapped[str] = mapped_column(String(64), index=True)
    verified_at: Mapped[datetime]


class LinkageCandidate(CatalogBase):
    """A proposed link of a record without an RRN to a verified person, and its decision."""

    __tablename__ = "linkage_candidates"
    __table_args__ = (UniqueConstraint("record_id", "person_key"),)
    candidate_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[uuid.UUID]
    matched_on: Mapped[str] = mapped_column(String(64))
    status: Mapped[CandidateStatus] = mapped_column(StatusColumn(CandidateStatus), index=True)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    unlinked_at: Mapped[datetime | None]
    unlinked_by: Mapped[str | None] = mapped_column(String(64))
    unlink_reason: Mapped[str | None] = mapped_column(String(500))
    # An approval is proposed by one reviewer and confirmed by another (two people for what
    # cannot be undone, medrec_shared.rules.staff_acts); the proposal, until then.
    proposed_by: Mapped[str | None] = mapped_column(String(64))
    proposed_at: Mapped[datetime | None]
    proposal_reason: Mapped[str | None] = mapped_column(String(500))


class StaffAuditEntry(CatalogBase):
    """The audit trail (StaffActed, from every service): each staff act and staff read of
    personal data, with the person (or machine account) who did it, for the auditor. Unlike the
    access history, it names the person; it is read with scope audit:read only."""

    __tablename__ = "staff_audit"
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    act: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(1000))


class TransferRequest(CatalogBase):
    """A citizen's 이관 요청: one row per (institution, person), however often they ask, so the
    requests count people. `notified_at` is set when the clinic's records arrived and the person
    was told (once); until then the request is in its health centre's queue."""

    __tablename__ = "transfer_requests"
    institution_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    asked_at: Mapped[datetime]
    notified_at: Mapped[datetime | None]


class NoticePerson(CatalogBase):
    """A person who has signed in at least once (PersonVerified): only they are told anything.
    The person key alone: no name, no phone."""

    __tablename__ = "notice_people"
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime]


class Notice(CatalogBase):
    """One notice in a person's 알림함: its kind and parameters (no clinical content), one per
    (person, notice_key) however often it was asked."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("person_key", "notice_key"),
        Index("ix_notices_person_page", "person_key", text("notice_id DESC")),
    )
    notice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # UUIDv7: newest last
    person_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    notice_key: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, str]] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NoticePreference(CatalogBase):
    """A person's choice for one kind: also send it (SMS/알림톡) or keep it in 알림함 only. No
    row: the default, sent."""

    __tablename__ = "notice_preferences"
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    send: Mapped[bool]
    updated_at: Mapped[datetime]


class NoticeDelivery(CatalogBase):
    """The sent log: one row per notice the person's choices wanted sent, claimed and sent by
    the worker outside any transaction that holds it (notices.delivery)."""

    __tablename__ = "notice_deliveries"
    notice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(StatusColumn(DeliveryStatus), index=True)
    sender: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
