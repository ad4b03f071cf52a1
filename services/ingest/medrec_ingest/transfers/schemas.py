"""The bodies of the transfers endpoints: opening, reading and completing a transfer."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from medrec_ingest.fields import (
    INSTITUTION_CODE,
    EffectiveDate,
    ExternalId,
    Strict,
    Text50,
    Text200,
    Text300,
    lower,
)
from medrec_ingest.models import Transfer, TransferStatus
from medrec_shared.rules.records import RecordKind, Specialty

MANIFEST_MAX_LINES = 100_000
RECONCILIATION_LISTED = 1000  # ids named in each list of a reconciliation, at most


class DeclaredPeriod(Strict):
    """The service period the records cover, both days included."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _in_order(self) -> "DeclaredPeriod":
        if self.to < self.from_:
            raise ValueError("to must not be before from")
        return self


class ManifestLine(Strict):
    external_id: ExternalId
    sha256: Annotated[
        str,
        Field(pattern=r"^[0-9a-fA-F]{64}$", description="Hex SHA-256 of the record's content"),
        AfterValidator(lower),
    ]


class Declared(Strict):
    """What the depositor says it hands over (의료법 제40조의2): checked against what is stored
    when the transfer completes (`reconciliation`)."""

    counts: dict[RecordKind, Annotated[int, Field(ge=0, le=100_000_000)]] = Field(
        description="Records by kind"
    )
    specialties: dict[Specialty, Annotated[int, Field(ge=0, le=100_000_000)]] | None = None
    period: DeclaredPeriod | None = None
    manifest: list[ManifestLine] | None = Field(
        default=None,
        max_length=MANIFEST_MAX_LINES,
        description="Every record handed over: its external_id and the SHA-256 of its content "
        f"(at most {MANIFEST_MAX_LINES:,} lines, each external_id once). Its digest on the "
        "receipt is the SHA-256 of the lines sorted by external_id, each "
        "`external_id<TAB>sha256<LF>` in UTF-8",
    )

    @model_validator(mode="after")
    def _each_once(self) -> "Declared":
        if self.manifest is not None:
            ids = [line.external_id for line in self.manifest]
            if len(set(ids)) != len(ids):
                raise ValueError("manifest must name each external_id once")
        return self


class Difference(BaseModel):
    field: str = Field(description="e.g. counts.medical_record, specialties.dental, period.from")
    declared: int | str | None
    stored: int | str | None


class Reconciliation(BaseModel):
    """The declaration against what is stored, at completion. Each list holds at most
    RECONCILIATION_LISTED ids (sorted); its total is beside it."""

    matches: bool
    differences: list[Difference]
    missing: list[str] = Field(description="Declared external_ids not stored")
    missing_total: int
    unexpected: list[str] = Field(description="Stored external_ids the manifest does not name")
    unexpected_total: int
    digest_mismatch: list[str] = Field(description="Stored with another SHA-256 than declared")
    digest_mismatch_total: int
    manifest_sha256: str | None = None


class ReceiptSeen(BaseModel):
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


class InstitutionIn(Strict):
    code: INSTITUTION_CODE
    name: Text200 = Field(description="Korean name, e.g. 행복소아과의원")
    type: Text50 = Field(description="의원, 병원, 치과의원, 한의원 …")
    address: Text300
    region: Text50


class TransferIn(Strict):
    institution: InstitutionIn
    reason: Literal["closure", "suspension"]
    effective_date: EffectiveDate
    expected_records: int | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        description="An estimate, for following progress; the count that binds is the one "
        "confirmed at completion (`record_count`), checked against what was received",
    )
    declared: Declared | None = Field(
        default=None, description="What is handed over; may be given (again) at completion"
    )


class TransferCounts(BaseModel):
    received: int = Field(description="Records accepted in this transfer (content in or awaited)")
    stored: int = Field(description="Records whose content is in, verified and encrypted")
    failed: int = Field(
        description="Deposits refused: invalid or conflicting records (single or batch lines) "
        "and content uploads that did not match their declaration; each refusal counts once"
    )
    expired_on_arrival: int = Field(
        description="Stored records already past their retention period on arrival; they are "
        "accepted and destroyed by the next retention sweep"
    )
    bytes: int = Field(description="Content bytes stored (plaintext)")


class TransferOut(BaseModel):
    transfer_id: uuid.UUID
    status: TransferStatus
    institution: InstitutionIn
    reason: str
    effective_date: date
    expected_records: int | None
    record_count: int | None = Field(description="The count confirmed at completion")
    counts: TransferCounts
    created_at: datetime
    completed_at: datetime | None
    released_at: datetime | None = Field(
        default=None, description="When an operator released it to its reopened institution"
    )
    grace_until: datetime | None = Field(
        default=None, description="Its client may export the records until then; then destroyed"
    )
    reconciliation: Reconciliation | None = Field(
        default=None, description="The declaration against what was stored, at completion"
    )
    receipt: ReceiptSeen | None = Field(
        default=None, description="Once completed: the 이관확인서's confirmation by staff"
    )


COMPLETION_MAX_IDS = 100_000


class CompleteIn(Strict):
    record_count: int = Field(ge=0, le=100_000_000, description="Records the transfer holds")
    external_ids: list[ExternalId] | None = Field(
        default=None,
        max_length=COMPLETION_MAX_IDS,
        description="Optional: every external_id of the transfer, so that any missing ones can "
        "be named",
    )
    declared: Declared | None = Field(
        default=None, description="Replaces the declaration given at opening, if any"
    )
    allow_missing: bool = Field(
        default=False,
        description="Complete even though declared lines are not stored (the receipt lists "
        "them); also `?allow_missing=true`",
    )


def counts_of(transfer: Transfer) -> TransferCounts:
    return TransferCounts(
        received=transfer.received,
        stored=transfer.stored,
        failed=transfer.failed,
        expired_on_arrival=transfer.expired_on_arrival,
        bytes=transfer.bytes,
    )


def reconciliation_of(transfer: Transfer) -> "Reconciliation | None":
    """What completion found against the declaration (none before, or without one)."""
    if transfer.reconciliation is None:
        return None
    return Reconciliation.model_validate(transfer.reconciliation)


def receipt_of(transfer: Transfer) -> "ReceiptSeen | None":
    """Who confirmed the 이관확인서 and when; a completed transfer only has one."""
    if transfer.completed_at is None:
        return None
    return ReceiptSeen(
        confirmed_by=transfer.receipt_confirmed_by, confirmed_at=transfer.receipt_confirmed_at
    )


def transfer_out(transfer: Transfer) -> TransferOut:
    return TransferOut(
        transfer_id=transfer.transfer_id,
        status=transfer.status,
        institution=InstitutionIn(code=transfer.institution_code, **transfer.institution),
        reason=transfer.reason,
        effective_date=transfer.effective_date,
        expected_records=transfer.expected_records,
        record_count=transfer.record_count,
        counts=counts_of(transfer),
        created_at=transfer.created_at,
        completed_at=transfer.completed_at,
        released_at=transfer.released_at,
        grace_until=transfer.grace_until,
        reconciliation=reconciliation_of(transfer),
        receipt=receipt_of(transfer),
    )
