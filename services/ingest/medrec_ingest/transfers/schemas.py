"""The bodies of the transfers endpoints: opening, reading and completing a transfer."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from medrec_ingest.fields import (
    INSTITUTION_CODE,
    EffectiveDate,
    ExternalId,
    Strict,
    Text50,
    Text200,
    Text300,
)
from medrec_ingest.models import Transfer, TransferStatus


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


COMPLETION_MAX_IDS = 100_000


class CompleteIn(Strict):
    record_count: int = Field(ge=0, le=100_000_000, description="Records the transfer holds")
    external_ids: list[ExternalId] | None = Field(
        default=None,
        max_length=COMPLETION_MAX_IDS,
        description="Optional: every external_id of the transfer, so that any missing ones can "
        "be named",
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
        counts=TransferCounts(
            received=transfer.received,
            stored=transfer.stored,
            failed=transfer.failed,
            expired_on_arrival=transfer.expired_on_arrival,
            bytes=transfer.bytes,
        ),
        created_at=transfer.created_at,
        completed_at=transfer.completed_at,
        released_at=transfer.released_at,
        grace_until=transfer.grace_until,
    )
