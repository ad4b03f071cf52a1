"""Release endpoints: platform staff release a suspended institution's transfer (one proposes,
another confirms); its client then exports the records until the grace period ends (the rules:
service.py)."""

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from medrec_ingest.deps import (
    DbSession,
    Depositor,
    Releaser,
    Settings,
    TransactionsDep,
    VaultDep,
)
from medrec_ingest.fields import Strict
from medrec_ingest.release import service
from medrec_ingest.release.export import export_lines
from medrec_ingest.transfers.schemas import TransferOut, transfer_out
from medrec_ingest.transfers.service import own_transfer
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.web import Now

router = APIRouter(tags=["release"])


class ReleaseIn(Strict):
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class ReleaseProposed(BaseModel):
    transfer_id: uuid.UUID
    status: Literal["release_proposed"] = "release_proposed"
    proposed_by: str
    proposed_at: datetime
    reason: str | None


@router.post(
    "/v1/admin/transfers/{transfer_id}/release",
    response_model=TransferOut | ReleaseProposed,
    responses={
        202: {"model": ReleaseProposed, "description": "Proposed: another person confirms it"},
        403: {"description": "A machine account, or a token without transfers:release"},
        409: {"description": "Not a suspension, or the proposer releases again (another must)"},
    },
)
async def release_transfer(
    transfer_id: uuid.UUID,
    session: DbSession,
    releaser: Releaser,
    settings: Settings,
    now: Now,
    response: Response,
    body: ReleaseIn | None = None,
) -> TransferOut | ReleaseProposed:
    """The first person's call proposes the release (202); a different person's withdraws the
    transfer's records from citizens and opens the grace period for its client to export them
    (200). A repeat once released changes nothing."""
    transfer, proposed = await service.release_transfer(
        session,
        settings=settings,
        transfer_id=transfer_id,
        by=releaser,
        reason=body.reason if body else None,
        now=now,
    )
    if proposed:
        assert transfer.release_proposed_by and transfer.release_proposed_at
        response.status_code = 202
        return ReleaseProposed(
            transfer_id=transfer.transfer_id,
            proposed_by=transfer.release_proposed_by,
            proposed_at=transfer.release_proposed_at,
            reason=transfer.release_reason,
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
