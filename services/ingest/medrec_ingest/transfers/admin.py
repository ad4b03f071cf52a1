"""Staff's oversight of transfers (scope transfers:oversee): every institution's transfers, their
status, counts and release, with no personal data. A health centre's staff see their own region
only (medrec_shared.rules.staff.region_limit): another region's transfers are not listed, and one
asked for by id is not found, as if it did not exist. A region is asked for, and held to, by its
code or its name (medrec_shared.rules.regions: "11", "서울" and "서울특별시" are one region)."""

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from medrec_ingest.deps import DbSession, Settings, TransfersOverseer
from medrec_ingest.models import Transfer, TransferStatus
from medrec_ingest.transfers.repository import TransferRepository
from medrec_ingest.transfers.schemas import (
    ReceiptSeen,
    Reconciliation,
    TransferCounts,
    counts_of,
    receipt_of,
    reconciliation_of,
)
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Conflict, Forbidden, NotFound
from medrec_shared.platform.web import Now
from medrec_shared.rules.regions import region_code, spellings
from medrec_shared.rules.staff import region_limit
from medrec_shared.rules.staff_acts import announce_act, deciding_person

router = APIRouter(tags=["transfers (staff)"], prefix="/v1/admin/transfers")
RECENT_PROBLEMS = 20
Region = Annotated[str | None, Query(min_length=1, max_length=50)]


class InstitutionSeen(BaseModel):
    code: str
    name: str
    region: str = Field(description="As the institution deposited it")
    region_code: str | None = Field(description="The 시·도 code it names, when known")


class ReleaseSeen(BaseModel):
    """A release proposed (by one person) or done (confirmed by another)."""

    proposed_by: str | None
    proposed_at: datetime | None
    reason: str | None
    released_by: str | None
    released_at: datetime | None
    grace_until: datetime | None


class ProblemSeen(BaseModel):
    """A refused deposit: which record (its external_id; null when it looked like an RRN) and
    why (the problem's title). No personal data."""

    external_id: str | None
    problem: str
    occurred_at: datetime


class TransferSeen(BaseModel):
    transfer_id: uuid.UUID
    institution: InstitutionSeen
    status: TransferStatus
    reason: str = Field(description="closure or suspension")
    effective_date: date
    counts: TransferCounts
    opened_at: datetime
    completed_at: datetime | None
    release: ReleaseSeen | None
    reconciliation: Reconciliation | None = Field(
        default=None, description="The declaration against what was stored, at completion"
    )
    receipt: ReceiptSeen | None = Field(
        default=None, description="Once completed: who confirmed its 이관확인서, and when"
    )


class TransferInDetail(TransferSeen):
    problems: list[ProblemSeen] = Field(
        description=f"The latest refused deposits (up to {RECENT_PROBLEMS}), newest first"
    )


def _seen(transfer: Transfer) -> TransferSeen:
    release = None
    if transfer.release_proposed_by is not None or transfer.released_at is not None:
        release = ReleaseSeen(
            proposed_by=transfer.release_proposed_by,
            proposed_at=transfer.release_proposed_at,
            reason=transfer.release_reason,
            released_by=transfer.released_by,
            released_at=transfer.released_at,
            grace_until=transfer.grace_until,
        )
    return TransferSeen(
        transfer_id=transfer.transfer_id,
        institution=InstitutionSeen(
            code=transfer.institution_code,
            name=transfer.institution.get("name", ""),
            region=transfer.institution.get("region", ""),
            region_code=region_code(transfer.institution.get("region", "")),
        ),
        status=transfer.status,
        reason=transfer.reason,
        effective_date=transfer.effective_date,
        counts=counts_of(transfer),
        opened_at=transfer.created_at,
        completed_at=transfer.completed_at,
        release=release,
        reconciliation=reconciliation_of(transfer),
        receipt=receipt_of(transfer),
    )


def _held_to(principal: Principal) -> str | None:
    """The one region the caller sees, or None for all (platform staff, machine accounts)."""
    staff = principal.staff
    if staff is None:
        return None
    held = region_limit(staff.roles, staff.region)
    if held is None and "health_centre" in staff.roles and "platform" not in staff.roles:
        raise Forbidden("A health centre's account without a region oversees no transfers.")
    return held


@router.get("", response_model=Page[TransferSeen])
async def oversee_transfers(
    session: DbSession,
    overseer: TransfersOverseer,
    region: Region = None,
    status: TransferStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[TransferSeen]:
    """Transfers oldest first, in `region` (a code or a name) and `status` when given. A health
    centre's staff see their region's only, whatever `region` they ask for."""
    held = _held_to(overseer)
    regions = spellings(region) if region is not None else None
    if held is not None:
        if regions is not None and not regions & spellings(held):
            return Page[TransferSeen](items=[])
        regions = spellings(held)
    rows = await TransferRepository(session).overseen(
        regions=regions, status=status, limit=limit + 1, after=cursor
    )
    return page_of(rows, limit, _seen, lambda t: str(t.transfer_id))


@router.get("/{transfer_id}", response_model=TransferInDetail)
async def oversee_transfer(
    transfer_id: uuid.UUID, session: DbSession, overseer: TransfersOverseer
) -> TransferInDetail:
    """One transfer with its latest refused deposits; another region's, for a health centre's
    staff, is not found."""
    row = await _overseen_one(session, overseer, transfer_id)
    problems = await TransferRepository(session).recent_problems(transfer_id, RECENT_PROBLEMS)
    return TransferInDetail(
        **_seen(row).model_dump(),
        problems=[ProblemSeen.model_validate(p, from_attributes=True) for p in problems],
    )


class ReceiptNotIssued(Conflict):
    type, title = "receipt-not-issued", "The transfer has no receipt yet"


async def _overseen_one(
    session: DbSession, overseer: Principal, transfer_id: uuid.UUID, *, lock: bool = False
) -> Transfer:
    """One transfer the caller oversees; another region's is not found."""
    held = _held_to(overseer)
    transfers = TransferRepository(session)
    rows = await transfers.overseen(
        regions=spellings(held) if held is not None else None,
        status=None,
        limit=1,
        after=None,
        transfer_id=transfer_id,
    )
    if not rows:
        raise NotFound("No such transfer.")
    if lock:
        locked = await transfers.get(transfer_id, for_update=True)
        assert locked is not None
        return locked
    return rows[0]


@router.post(
    "/{transfer_id}/receipt/confirm",
    response_model=TransferSeen,
    responses={
        403: {"description": "A machine account: a person confirms"},
        404: {"description": "No such transfer, or another region's"},
        409: {"description": "The transfer is not completed"},
    },
)
async def confirm_receipt(
    transfer_id: uuid.UUID,
    session: DbSession,
    overseer: TransfersOverseer,
    settings: Settings,
    now: Now,
) -> TransferSeen:
    """The health centre of the transfer's region (or platform staff) confirms its 이관확인서:
    who and when are kept and shown, and the act is audited (StaffActed). Once: a repeat answers
    the first confirmation, unchanged."""
    deciding_person(overseer)
    transfer = await _overseen_one(session, overseer, transfer_id, lock=True)
    if transfer.completed_at is None:
        raise ReceiptNotIssued("Only a completed transfer has a receipt to confirm.")
    if transfer.receipt_confirmed_at is None:
        transfer.receipt_confirmed_by = overseer.accountable[:64]
        transfer.receipt_confirmed_at = now
        announce_act(
            session,
            settings.topic_audit,
            overseer,
            "transfer.confirm_receipt",
            "transfer",
            str(transfer_id),
        )
        await session.flush()
    return _seen(transfer)
