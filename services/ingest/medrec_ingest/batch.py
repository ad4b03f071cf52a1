"""POST …/records:batch: records as NDJSON, streamed in and answered line by line, in order,
while the body is still arriving (the deposits themselves: bulk.py). Lines are stored and
committed in small groups, with no transaction open while content moves; memory stays at a few
groups whatever the size of the batch.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from medrec_ingest.bulk import Batch
from medrec_ingest.deps import Depositor, OutboxDep, Sessions, Settings, VaultDep
from medrec_ingest.openapi import json_body
from medrec_ingest.transfers import open_transfer
from medrec_shared.problems import Problem

router = APIRouter(tags=["records"])
NDJSON = "application/x-ndjson"
_NDJSON_TYPES = frozenset({NDJSON, "application/jsonl", "application/jsonlines"})


class UnsupportedMediaType(Problem):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


class NdjsonStream(StreamingResponse):
    """Answers while the request body is still arriving.

    Starlette's StreamingResponse watches for a disconnect by reading the request itself (ASGI
    spec < 2.4), which would swallow body messages the batch reader needs; here the body reader
    notices a dropped connection instead."""

    media_type = NDJSON

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream_response(send)


@router.post(
    "/v1/transfers/{transfer_id}/records:batch",
    response_class=NdjsonStream,
    response_model=None,
    summary="Deposit records in bulk (NDJSON)",
    description="`application/x-ndjson`: one `BatchLine` (a record with `external_id` and inline "
    "content) per line, any number of lines. Answered as NDJSON while the body streams in: one "
    "`BatchResult` per non-blank input line, in order — `created`, `unchanged` (an identical "
    "repeat), `conflict` (another record under that external_id, or the transfer closed), "
    "`invalid` (with a problem naming the fields), or `failed` (not stored on our side; send it "
    "again). Records are committed in small groups before they are answered: what was answered "
    "is kept if the connection drops, and replaying the batch creates nothing new. Clients "
    "should read answers while they send (a client that reads only after sending should keep a "
    "batch to some ten thousand lines).",
    responses={
        200: {
            "description": "One BatchResult per line",
            "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/BatchResult"}}},
        },
        409: {"description": "The transfer is closed"},
        415: {"description": "The body is not application/x-ndjson"},
    },
    openapi_extra=json_body("BatchLine", NDJSON),
)
async def deposit_batch(
    transfer_id: uuid.UUID,
    request: Request,
    principal: Depositor,
    sessions: Sessions,
    settings: Settings,
    vault: VaultDep,
    outbox: OutboxDep,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> NdjsonStream:
    async with sessions.begin() as session:
        transfer = await open_transfer(session, transfer_id, principal)
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in _NDJSON_TYPES:
        raise UnsupportedMediaType(f"Send the records as {NDJSON}, one per line.")
    batch = Batch(transfer, principal.subject, sessions, settings, vault, outbox)
    return NdjsonStream(batch.answers(request.stream()))
