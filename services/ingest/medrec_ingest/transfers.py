"""Transfers: an institution's deposit of records, opened, filled and completed by its client."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.deps import DbSession, Depositor, OutboxDep, Settings
from medrec_ingest.models import Transfer
from medrec_ingest.repositories import TransferRepository
from medrec_ingest.schemas import InstitutionIn, TransferCounts, TransferIn, TransferOut
from medrec_shared.auth import Principal
from medrec_shared.events import InstitutionInfo, TransferOpened
from medrec_shared.ids import new_id
from medrec_shared.problems import Conflict, Forbidden, NotFound

router = APIRouter(tags=["transfers"])


class TransferClosed(Conflict):
    type, title = "transfer-closed", "The transfer no longer accepts records"


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


async def own_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Transfer:
    """The caller's own transfer, for an institution it still acts for; otherwise not found."""
    transfer = await TransferRepository(session).get_for_client(
        transfer_id, principal.subject, for_update=lock
    )
    if transfer is None or transfer.institution_code not in principal.institution_codes:
        raise NotFound("No such transfer.")
    return transfer


async def open_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal
) -> Transfer:
    transfer = await own_transfer(session, transfer_id, principal)
    if transfer.status != "open":
        raise TransferClosed(f"The transfer is {transfer.status}.")
    return transfer


@router.post("/v1/transfers", status_code=201, response_model=TransferOut)
async def open_new_transfer(
    body: TransferIn,
    session: DbSession,
    principal: Depositor,
    outbox: OutboxDep,
    settings: Settings,
) -> TransferOut:
    if body.institution.code not in principal.institution_codes:
        raise Forbidden("This client is not registered for that institution code.")
    transfer = Transfer(
        transfer_id=new_id(),
        client_id=principal.subject,
        institution_code=body.institution.code,
        institution=body.institution.model_dump(exclude={"code"}),
        reason=body.reason,
        effective_date=body.effective_date,
        expected_records=body.expected_records,
        status="open",
        record_count=None,
        received=0, stored=0, failed=0, expired_on_arrival=0, bytes=0,
    )  # fmt: skip
    await TransferRepository(session).add(transfer)
    await outbox.add(
        session,
        settings.topic_transfer,
        transfer.transfer_id,
        TransferOpened(
            transfer_id=transfer.transfer_id,
            institution=InstitutionInfo(**body.institution.model_dump()),
            reason=body.reason,
            effective_date=body.effective_date,
        ),
    )
    await session.refresh(transfer)
    return transfer_out(transfer)


@router.get("/v1/transfers", response_model=dict[str, object])
async def list_transfers(
    session: DbSession,
    principal: Depositor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> dict[str, object]:
    rows = await TransferRepository(session).list_for_client(principal.subject, limit + 1, cursor)
    page = rows[:limit]
    return {
        "items": [transfer_out(t) for t in page],
        "next_cursor": str(page[-1].transfer_id) if len(rows) > limit else None,
    }


@router.get("/v1/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: uuid.UUID, session: DbSession, principal: Depositor
) -> TransferOut:
    return transfer_out(await own_transfer(session, transfer_id, principal))
