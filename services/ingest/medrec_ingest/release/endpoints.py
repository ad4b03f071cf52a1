"""Release endpoints: an operator releases a suspended institution's transfer; its client then
exports the records until the grace period ends (the rules: service.py)."""

import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from medrec_ingest.deps import (
    DbSession,
    Depositor,
    Operator,
    Settings,
    TransactionsDep,
    VaultDep,
)
from medrec_ingest.release import service
from medrec_ingest.release.export import export_lines
from medrec_ingest.transfers.schemas import TransferOut, transfer_out
from medrec_ingest.transfers.service import own_transfer
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.web import Now

router = APIRouter(tags=["release"])


@router.post("/v1/transfers/{transfer_id}/release", response_model=TransferOut)
async def release_transfer(
    transfer_id: uuid.UUID,
    session: DbSession,
    _: Operator,
    settings: Settings,
    now: Now,
) -> TransferOut:
    """Withdraws the transfer's records from citizens and opens the grace period for its client
    to export them. A repeat changes nothing."""
    transfer = await service.release_transfer(
        session, settings=settings, transfer_id=transfer_id, now=now
    )
    return transfer_out(transfer)


@router.get(
    "/v1/transfers/{transfer_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}},
        **problem_responses(service.GraceOver),
    },
)
async def export_transfer(
    transfer_id: uuid.UUID,
    principal: Depositor,
    transactions: TransactionsDep,
    vault: VaultDep,
    now: Now,
) -> StreamingResponse:
    """The released transfer's records, one NDJSON line each in the form of a batch deposit
    line (content inline, base64), streamed in constant memory whatever their size."""
    async with transactions.begin() as session:
        transfer = await own_transfer(session, transfer_id, principal)
        service.check_exportable(transfer, now)
    return StreamingResponse(
        export_lines(transactions, vault, transfer_id), media_type="application/x-ndjson"
    )
