"""issuance's tables, and the vocabulary their status columns hold. A status is a `StrEnum`
stored as its value in a plain VARCHAR column (the schema is unchanged); read back, it is the
enum member again, so models, services and schemas compare members, never bare strings."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Boolean,
    Date,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from medrec_shared.platform.db import Base, new_metadata
from medrec_shared.platform.deadletters.table import dead_letter_table
from medrec_shared.platform.messaging import messaging_tables
from medrec_shared.platform.ratelimit import rate_events_table


class IssuanceStatus(StrEnum):
    """An issuance's life as stored: `pending` until a worker claims it, `rendering` while that
    worker makes it (under a claim with a lease: `issuances.rendering`), then `ready` (stored,
    downloadable until `expires_at`) or `failed`; `purged` once a record in it was destroyed at
    the end of its retention period, or unlinked from the person it was made for
    (`failure_reason` says which). Expiry is not stored: a ready copy is expired from its
    `expires_at` on (`Issuance.status_at`)."""

    pending = "pending"
    rendering = "rendering"
    ready = "ready"
    failed = "failed"
    purged = "purged"


class CopyStatus(StrEnum):
    """A copy's status as issuance answers it (the API, and through it the portal): a copy
    being rendered is `pending` there (whether a worker has claimed it yet is the worker's
    business), and a ready copy from its `expires_at` on is `expired`."""

    pending = "pending"
    ready = "ready"
    expired = "expired"
    failed = "failed"
    purged = "purged"


class ProxyRequestStatus(StrEnum):
    """An Art. 21 request is `submitted` until an operator approves or rejects it, once."""

    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"


class Relation(StrEnum):
    """Who may ask under Art. 21(3), each with the documents the article asks of them
    (`proxies.service.REQUIRED_DOCUMENTS`)."""

    spouse = "spouse"
    lineal_relative = "lineal_relative"
    spouse_lineal_ascendant = "spouse_lineal_ascendant"
    sibling = "sibling"  # only when none of the above exist
    proxy = "proxy"  # named by the patient
    relative_of_deceased_or_incapable = "relative_of_deceased_or_incapable"


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E], Generic[E]):
    """A `StrEnum` in a VARCHAR column: written as its value, read back as the member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class IssuanceBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = messaging_tables(IssuanceBase.metadata)
dead_letters = dead_letter_table(IssuanceBase.metadata)
rate_events = rate_events_table(IssuanceBase.metadata)


class Issuance(IssuanceBase):
    __tablename__ = "issuances"
    issuance_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requester_subject: Mapped[str] = mapped_column(String(64), index=True)
    requester_actor: Mapped[str | None] = mapped_column(String(64))
    # Whom its notices go to (copy_ready, share_opened): the citizen or guardian who asked, or
    # the Art. 21 requester; None on issuances made before #29.
    requester_person_key: Mapped[str | None] = mapped_column(String(64))
    subject_person_key: Mapped[str] = mapped_column(String(64), index=True)
    subject_name_masked: Mapped[str] = mapped_column(String(100))
    record_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    purpose: Mapped[str | None] = mapped_column(String(200))
    # What is issued (`medrec_shared.rules.documents.DocumentType`) and, for a document made
    # from the records' entries, the selection it was asked with: `record_ids` then holds the
    # records the selection found, in the order the document draws them.
    document_type: Mapped[str] = mapped_column(
        String(32), default="record_copy", server_default="record_copy"
    )
    institution_code: Mapped[str | None] = mapped_column(String(8))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    include_diagnoses: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # A transfer's 이관확인서 (#29): issued once per completed transfer, to the depositing
    # client (`requester_subject`), with no person (`subject_person_key` empty, no records);
    # `facts` is what it states (issuances.receipts.ReceiptFacts), as TransferCompleted said.
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(unique=True, index=True)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[IssuanceStatus] = mapped_column(
        EnumText(IssuanceStatus, 16), default=IssuanceStatus.pending
    )
    issuance_number: Mapped[str] = mapped_column(String(32), unique=True)
    verification_code: Mapped[str] = mapped_column(String(16))
    institutions: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    pages: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    object_key: Mapped[str | None] = mapped_column(String(200))
    kek_id: Mapped[str | None] = mapped_column(String(64))
    wrapped_dek: Mapped[bytes | None] = mapped_column(LargeBinary)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    # Written from the service's clock (`medrec_shared.platform.clock`); the default only fills rows
    # written outside the service.
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # The worker's claim while it renders (`issuances.rendering`): an outcome is recorded only
    # under the claim it was made under. `render_lease_until`: while rendering, when the claim
    # lapses (a sweep then takes the copy over: its worker died, or overran); while pending
    # after a try that failed for now, when it may be tried again. `render_failures` counts the
    # claims that ended without an outcome, so a copy that keeps failing fails for good.
    render_claim: Mapped[uuid.UUID | None]
    render_lease_until: Mapped[datetime | None]
    render_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The trace the copy was asked in (W3C traceparent; None with traces off): its render joins it.
    traceparent: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # The worker's sweep reads the copies still to make: a few among all issued.
        Index(
            "ix_issuances_to_render",
            "created_at",
            postgresql_where=text("status IN ('pending', 'rendering')"),
        ),
    )

    def expired(self, now: datetime) -> bool:
        """The one expiry rule: a copy expires AT its `expires_at` instant, so from that instant
        on it is expired (its status reads `expired`, its download is refused)."""
        return self.expires_at is not None and now >= self.expires_at

    def status_at(self, now: datetime) -> CopyStatus:
        """The status clients read at `now`."""
        if self.status == IssuanceStatus.rendering:
            return CopyStatus.pending
        if self.status == IssuanceStatus.ready and self.expired(now):
            return CopyStatus.expired
        return CopyStatus(self.status.value)


class IssuerKey(IssuanceBase):
    """The issuing service's signing certificate, created at first start in the local stack."""

    __tablename__ = "issuer_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_pem_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    cert_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Written from the service's clock (`medrec_shared.platform.clock`); the default only fills rows
    # written outside the service.
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProxyRequest(IssuanceBase):
    """A relative's or proxy's request under Art. 21, reviewed by two reviewers to approve it,
    one to reject it."""

    __tablename__ = "proxy_requests"
    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requester_subject: Mapped[str] = mapped_column(String(64), index=True)
    requester_person_key: Mapped[str] = mapped_column(String(64))
    patient_person_key: Mapped[str] = mapped_column(String(64), index=True)
    patient_sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {name, rrn}, encrypted
    relation: Mapped[Relation] = mapped_column(EnumText(Relation, 40))
    institution_code: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[ProxyRequestStatus] = mapped_column(
        EnumText(ProxyRequestStatus, 16), default=ProxyRequestStatus.submitted, index=True
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    issuance_id: Mapped[uuid.UUID | None]
    # An approval is proposed by one reviewer and confirmed by another (two people for what
    # cannot be undone: a copy given away); the request stays `submitted` until then.
    proposed_by: Mapped[str | None] = mapped_column(String(64))
    proposed_at: Mapped[datetime | None]
    proposal_reason: Mapped[str | None] = mapped_column(String(500))
    # Written from the service's clock (`medrec_shared.platform.clock`); the default only fills rows
    # written outside the service.
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProxyDocument(IssuanceBase):
    """An uploaded supporting document, kept encrypted like every copy."""

    __tablename__ = "proxy_documents"
    request_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(200))
    kek_id: Mapped[str] = mapped_column(String(64))
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)


class Share(IssuanceBase):
    """An issued document shared with a recipient the citizen names (제출: an insurer): opened
    at the portal's `/share/<token>` with a six-digit access code, until it expires (30 days at
    most) or is revoked. The token and the code are kept only as keyed digests."""

    __tablename__ = "shares"
    share_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    issuance_id: Mapped[uuid.UUID] = mapped_column(index=True)
    recipient: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(128), unique=True)
    access_code_digest: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    downloads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_opened_at: Mapped[datetime | None]
    # Written from the service's clock (`medrec_shared.platform.clock`); the default only fills rows
    # written outside the service.
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
