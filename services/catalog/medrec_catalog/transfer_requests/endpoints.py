"""이관 요청: a citizen asks for a clinic not held here to be transferred (201, or 200 when they
had asked already); a health centre sees its region's clinics by how many asked (scope
transfer-requests:read), a platform person every region's."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from medrec_catalog.deps import Catalog, Citizen, DbSession, TransferRequestsReader
from medrec_catalog.transfer_requests import service
from medrec_catalog.transfer_requests.schemas import (
    MyTransferRequests,
    TransferRequestIn,
    TransferRequestOut,
    TransferRequestQueue,
    requested,
)

router = APIRouter(tags=["transfer requests"])


@router.post(
    "/v1/me/transfer-requests",
    response_model=TransferRequestOut,
    status_code=201,
    responses={200: {"model": TransferRequestOut, "description": "Asked already"}},
)
async def ask_for_transfer(
    body: TransferRequestIn, session: DbSession, principal: Citizen, c: Catalog, response: Response
) -> TransferRequestOut:
    """404: no such institution; 409: its records are already held here."""
    new = await service.ask(
        session, service.asker_key(principal), body.institution_code, now=c.clock.now()
    )
    if not new:
        response.status_code = 200
    return TransferRequestOut(institution_code=body.institution_code, asked=True, new=new)


@router.get("/v1/me/transfer-requests", response_model=MyTransferRequests)
async def my_transfer_requests(session: DbSession, principal: Citizen) -> MyTransferRequests:
    return MyTransferRequests(
        institution_codes=await service.asked_by(session, service.asker_key(principal))
    )


@router.get("/v1/admin/transfer-requests", response_model=TransferRequestQueue)
async def transfer_request_queue(
    session: DbSession,
    reader: TransferRequestsReader,
    region: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TransferRequestQueue:
    """Clinics with requests not yet answered by an arrival, most requested first; a health
    centre's staff see their own region's only, whatever `region` they ask for."""
    rows = await service.queue(session, reader, region, limit)
    return TransferRequestQueue(items=[requested(row) for row in rows])
