import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from medrec_shared.platform.crypto import Span
from medrec_shared.platform.db import Base, new_metadata
from medrec_shared.platform.deadletters.table import dead_letter_table
from medrec_shared.platform.messaging import messaging_tables
from medrec_shared.platform.schedule import schedule_table


# Statuses are stored as their values in VARCHAR columns (no database enum type, so a new
# status needs no migration of the type); rows read back compare equal to the members.
class TransferStatus(StrEnum):
    """A transfer takes records while open; completed, its counts are final; released, its
    records go back to their reopened institution."""

    open = "open"
    completed = "completed"
    released = "released"


class RecordStatus(StrEnum):
    awaiting_content = "awaiting_content"  # declared, its content to be streamed
    stored = "stored"
    destroyed = "destroyed"
    withdrawn = "withdrawn"  # its transfer was released


class IngestBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = messaging_tables(IngestBase.metadata)
schedule_runs = schedule_table(IngestBase.metadata)
dead_letters = dead_letter_table(IngestBase.metadata)


class Transfer(IngestBase):
    __tablename__ = "transfers"
    transfer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_code: Mapped[str] = mapped_column(String(8), index=True)
    institution: Mapped[dict[str, str]] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(String(16))
    effective_date: Mapped[date]
    expected_records: Mapped[int | None]
    status: Mapped[TransferStatus] = mapped_column(String(16), default=TransferStatus.open)
    record_count: Mapped[int | None]  # confirmed at completion
    received: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    expired_on_arrival: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None]
    # Released to its reopened institution: its records may be exported until grace_until.
    released_at: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    # Released by two people (it cannot be undone): proposed by one, confirmed by another, who
    # is `released_by` (medrec_shared.rules.staff_acts).
    release_proposed_by: Mapped[str | None] = mapped_column(String(64))
    release_proposed_at: Mapped[datetime | None]
    release_reason: Mapped[str | None] = mapped_column(String(500))
    released_by: Mapped[str | None] = mapped_column(String(64))
    # What the depositor declared it hands over (#29: counts, period, manifest), and what
    # completion found comparing it with what was stored (transfers.reconciliation).
    declared: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reconciliation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The region's health centre confirmed the 이관확인서 (staff_acted audits who).
    receipt_confirmed_by: Mapped[str | None] = mapped_column(String(64))
    receipt_confirmed_at: Mapped[datetime | None]


class DepositProblem(IngestBase):
    """A refused deposit, for staff following a transfer (GET /v1/admin/transfers/{id}): which
    external_id (none when it looked like an RRN, or could not be read) and the problem's title.
    Nothing of the record itself: no patient, no title, no content."""

    __tablename__ = "deposit_problems"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]


class Record(IngestBase):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("institution_code", "external_id"),
        # The records still in a segment (compaction's and the empty-segment sweep's lookup).
        Index(
            "ix_records_segment",
            "object_key",
            postgresql_where="content_offset IS NOT NULL",
        ),
    )
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    institution_code: Mapped[str] = mapped_column(String(8))
    external_id: Mapped[str] = mapped_column(String(200))
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    # Without an RRN: the keyed hash of the normalised name, birth date and sex
    # (medrec_shared.rules.linkage). person_key is set when an operator links the record.
    match_key: Mapped[str | None] = mapped_column(String(64))
    patient_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {rrn, name}, encrypted
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    department: Mapped[str | None] = mapped_column(String(100))
    service_start: Mapped[date]
    service_end: Mapped[date]
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[RecordStatus] = mapped_column(String(16))
    object_key: Mapped[str | None] = mapped_column(String(200))
    kek_id: Mapped[str | None] = mapped_column(String(64), index=True)
    wrapped_dek: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Set when the content is a span of a segment (object_key is then the segment's).
    content_offset: Mapped[int | None] = mapped_column(BigInteger)
    content_length: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    stored_at: Mapped[datetime | None]

    @property
    def span(self) -> Span | None:
        if self.content_offset is None or self.content_length is None:
            return None
        return Span(self.content_offset, self.content_length)


class Segment(IngestBase):
    """An object holding the content of several records of one batch group, each under its own
    data key (crypto/segment.py). It stays while any record points into it; compaction moves
    the live records of a mostly dead one into a new one, and the sweep then deletes it."""

    __tablename__ = "segments"
    object_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Destruction(IngestBase):
    """What is left of a destroyed record: no patient, no title, no content, nothing that
    identifies a person; enough for an auditor to see what was destroyed, when and why."""

    __tablename__ = "destruction_log"
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    institution_code: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    specialty: Mapped[str] = mapped_column(String(32))
    service_start: Mapped[date]
    service_end: Mapped[date]
    reason: Mapped[str] = mapped_column(String(32))  # retention_expired | release_not_reclaimed
    destroyed_at: Mapped[datetime]


class JobKind(StrEnum):
    key_rewrap = "key_rewrap"  # every record's keys moved to the active KEK
    linkage_backfill = "linkage_backfill"  # match keys of records deposited without an RRN


class JobStatus(StrEnum):
    running = "running"
    completed = "completed"  # nothing left to do
    incomplete = "incomplete"  # ended with rows left (unreadable, or locked): run it again
    failed = "failed"
    # Read back, never stored: a running job whose process stopped beating (JOB_STALE_SECONDS).
    interrupted = "interrupted"


class AdminJob(IngestBase):
    """A long job started over the admin API and run in the API process that took the request;
    its progress is kept here, so any replica answers for it. At most one of each kind runs."""

    __tablename__ = "admin_jobs"
    __table_args__ = (
        Index(
            "uq_admin_jobs_running",
            "kind",
            unique=True,
            postgresql_where="status = 'running'",
        ),
    )
    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(String(32))
    status: Mapped[JobStatus] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, int | str] | None] = mapped_column(JSONB)  # counts, never data
    started_by: Mapped[str] = mapped_column(String(64))  # a staff login or a machine client id
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]  # the running process's last sign of life
    finished_at: Mapped[datetime | None]
