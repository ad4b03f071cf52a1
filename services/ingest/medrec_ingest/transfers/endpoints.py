"""Transfers: an institution's deposit of records, opened, listed, read and completed by its
client. The rules are in service.py."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from medrec_ingest.deps import DbSession, Depositor, IssuanceDep, Settings
from medrec_ingest.openapi import json_body
from medrec_ingest.transfers import service
from medrec_ingest.transfers.repository import TransferRepository
from medrec_ingest.transfers.schemas import CompleteIn, TransferIn, TransferOut, transfer_out
from medrec_shared.platform.auth import bearer_token
from medrec_shared.platform.bodylimits import parse_json
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Problem
from medrec_shared.platform.web import Now

router = APIRouter(tags=["transfers"])
# A completion may list 100,000 external_ids and a declaration of 100,000 lines (some 50 MiB,
# medrec_ingest.bodies): its body is
# read after the depositor's token is checked, not parsed by FastAPI before.
COMPLETE_PATH = "/v1/transfers/{transfer_id}/complete"
# An opening may carry a declaration's manifest (100,000 lines): read the same way.
OPEN_PATH = "/v1/transfers"
RECEIPT_RETRY_SECONDS = 5
ISSUANCE_NUMBER_HEADER = "Medrec-Issuance-Number"


class ReceiptNotReady(Problem):
    status, type, title = 409, "receipt-not-ready", "The receipt is not ready"
    sends_retry_after = True


@router.post(
    OPEN_PATH,
    status_code=201,
    response_model=TransferOut,
    summary="Open a transfer",
    description="`declared` (optional) says what is handed over: counts by kind (and "
    "specialty), the service period, and a manifest of {external_id, sha256}; completion "
    "reconciles it with what was stored.",
    responses={
        413: {"description": "The body is over the limit"},
        422: {"description": "Not valid"},
    },
    openapi_extra=json_body("TransferIn"),
)
async def open_transfer(
    request: Request,
    session: DbSession,
    principal: Depositor,
    settings: Settings,
    now: Now,
) -> TransferOut:
    body = parse_json(await request.body(), TransferIn)
    transfer = await service.open_transfer(
        session,
        settings=settings,
        principal=principal,
        body=body,
        now=now,
    )
    return transfer_out(transfer)


@router.get("/v1/transfers", response_model=Page[TransferOut])
async def list_transfers(
    session: DbSession,
    principal: Depositor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[TransferOut]:
    rows = await TransferRepository(session).list_for_client(principal.subject, limit + 1, cursor)
    return page_of(rows, limit, transfer_out, lambda t: str(t.transfer_id))


@router.get("/v1/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: uuid.UUID, session: DbSession, principal: Depositor
) -> TransferOut:
    return transfer_out(await service.own_transfer(session, transfer_id, principal))


@router.post(
    COMPLETE_PATH,
    response_model=TransferOut,
    summary="Complete a transfer",
    description="Checks `record_count` against the records received, and that every record's "
    "content is in. A mismatch answers 409 naming the records awaiting content and, when "
    "`external_ids` are given, the ones never received (at most 100 of each, with totals). "
    "With a declaration (given now or at opening) the stored records are reconciled with it "
    "and the answer's `reconciliation` names every difference; declared records not stored "
    "answer 409 `declared-lines-missing` unless `allow_missing` (query or body) is given. "
    "Once completed, writes to the transfer answer 409; repeating the same completion "
    "answers 200.",
    responses={
        409: {
            "description": "Counts do not match, declared records are missing, or the "
            "transfer is closed"
        },
        413: {"description": "The body is over the limit"},
        422: {"description": "Not valid"},
    },
    openapi_extra=json_body("CompleteIn"),
)
async def complete_transfer(
    transfer_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Depositor,
    settings: Settings,
    now: Now,
    allow_missing: bool = False,
) -> TransferOut:
    body = parse_json(await request.body(), CompleteIn)
    transfer = await service.complete_transfer(
        session,
        settings=settings,
        transfer_id=transfer_id,
        principal=principal,
        body=body,
        now=now,
        allow_missing=allow_missing,
    )
    return transfer_out(transfer)


@router.get(
    "/v1/transfers/{transfer_id}/receipt",
    response_class=StreamingResponse,
    summary="The transfer's 이관확인서",
    description="The signed Korean PDF of a completed transfer (institution, counts by kind, "
    "period, the manifest's SHA-256, what is missing, received at), checkable on the public "
    "진위확인 page. 409 with Retry-After while the transfer is open or the receipt is being made.",
    responses={
        200: {"content": {"application/pdf": {}}},
        404: {"description": "No such transfer (another client's is not found either)"},
        409: {"description": "Not completed, or the receipt is being made (Retry-After)"},
    },
)
async def transfer_receipt(
    transfer_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Depositor,
    issuance: IssuanceDep,
) -> StreamingResponse:
    transfer = await service.own_transfer(session, transfer_id, principal)
    await session.commit()  # nothing written: no transaction held while the PDF streams
    if transfer.completed_at is None:
        raise ReceiptNotReady(
            "The transfer is not completed: its receipt is made when it completes."
        )
    receipt = await issuance.transfer_receipt(transfer_id, bearer_token(request))
    if receipt is None:
        raise ReceiptNotReady(
            "The receipt is being made; try again shortly.",
            headers={"Retry-After": str(RECEIPT_RETRY_SECONDS)},
        )
    # Named by its issuance number, as issuance names a copy; the kit prints it from the header.
    name = receipt.number or f"receipt-{transfer_id}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    if receipt.number is not None:
        headers[ISSUANCE_NUMBER_HEADER] = receipt.number
    if receipt.size is not None:
        headers["Content-Length"] = receipt.size
    return StreamingResponse(receipt.chunks, media_type="application/pdf", headers=headers)
