"""Transfers: an institution's deposit of records, opened, listed, read and completed by its
client. The rules are in service.py."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from medrec_ingest.deps import DbSession, Depositor, Settings
from medrec_ingest.openapi import json_body
from medrec_ingest.transfers import service
from medrec_ingest.transfers.repository import TransferRepository
from medrec_ingest.transfers.schemas import CompleteIn, TransferIn, TransferOut, transfer_out
from medrec_shared.platform.bodylimits import parse_json
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.web import Now

router = APIRouter(tags=["transfers"])
# A completion may list 100,000 external_ids (some 20 MiB, medrec_ingest.bodies): its body is
# read after the depositor's token is checked, not parsed by FastAPI before.
COMPLETE_PATH = "/v1/transfers/{transfer_id}/complete"


@router.post("/v1/transfers", status_code=201, response_model=TransferOut)
async def open_transfer(
    body: TransferIn,
    session: DbSession,
    principal: Depositor,
    settings: Settings,
    now: Now,
) -> TransferOut:
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
    "Once completed, writes to the transfer answer 409; repeating the same completion "
    "answers 200.",
    responses={
        409: {"description": "Counts do not match, or the transfer is closed"},
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
) -> TransferOut:
    body = parse_json(await request.body(), CompleteIn)
    transfer = await service.complete_transfer(
        session,
        settings=settings,
        transfer_id=transfer_id,
        principal=principal,
        body=body,
        now=now,
    )
    return transfer_out(transfer)
