"""The deposit endpoints: one record (PUT, its content inline or declared), a declared record's
content (PUT …/content, streamed), and records in bulk (POST …/records:batch, NDJSON).

No transaction is open while content moves: each request opens short ones of its own around the
upload (its `Transactions`), one short read before and one short write after. A streamed body is
read a few MiB ahead of the upload, so receiving overlaps sending each part. On a mismatch, a
dropped connection or a stalled client the upload is aborted, so no object remains, and the
record stays awaiting its content (neither stored nor announced). A batch is answered line by
line, in order, while its body is still arriving (batch.py); what was answered is committed.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from medrec_ingest.deposit.batch import Batch
from medrec_ingest.deposit.repository import RecordRepository
from medrec_ingest.deposit.schemas import InlineContent, RecordIn, RecordOut
from medrec_ingest.deposit.service import record_out, refusal
from medrec_ingest.deposit.upload import ContentHeaders, UploadInterrupted, received
from medrec_ingest.deposit.validation import (
    check_content,
    check_declared,
    decode_inline,
    parse_record,
    patient_claim,
)
from medrec_ingest.deps import Depositor, DepositsDep
from medrec_ingest.fields import ALLOWED_CONTENT_TYPES, EXTERNAL_ID_PATTERN, not_rrn
from medrec_ingest.openapi import json_body
from medrec_ingest.transfers.service import writable, writable_transfer
from medrec_shared.platform.bodylimits import BodyTooLarge
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import (
    ContentTooLarge,
    Problem,
    ValidationFailed,
)
from medrec_shared.platform.web import Now

router = APIRouter(tags=["records"])
log = get_logger(__name__)
NDJSON = "application/x-ndjson"
JSON = "application/json"
_NDJSON_TYPES = frozenset({NDJSON, "application/jsonl", "application/jsonlines"})
ExternalIdPath = Annotated[
    str,
    Path(min_length=1, max_length=200, pattern=EXTERNAL_ID_PATTERN),
    AfterValidator(not_rrn),
]
# The deposit routes take large bodies (medrec_ingest.bodies): each reads its body itself, after
# its dependencies have checked the depositor's token, so a large body is never read from anyone
# else. Their paths are named here for the body limits.
RECORD_PATH = "/v1/transfers/{transfer_id}/records/{external_id}"
CONTENT_PATH = "/v1/transfers/{transfer_id}/records/{external_id}/content"
BATCH_PATH = "/v1/transfers/{transfer_id}/records:batch"


@router.put(
    RECORD_PATH,
    response_model=RecordOut,
    status_code=201,
    summary="Deposit one record",
    description="Inline content (`{content_type, data_base64}`, up to the inline limit) is "
    "validated, encrypted and stored at once, and the record announced. Declared content "
    "(`{content_type, size, sha256}`) creates the record awaiting its content, to be streamed "
    "to `PUT …/content`. A repeat of the same record answers 200 and changes nothing; another "
    "record under the same external_id answers 409.",
    responses={
        200: {"description": "An identical repeat; nothing changed"},
        409: {"description": "Another record under this external_id, or the transfer is closed"},
        413: {"description": "Inline content over the limit"},
        422: {"description": "Not valid; nothing was stored"},
    },
    openapi_extra=json_body("RecordIn"),
)
async def put_record(
    transfer_id: uuid.UUID,
    external_id: ExternalIdPath,
    request: Request,
    principal: Depositor,
    deposits: DepositsDep,
    now: Now,
) -> Response:
    today = korean_date(now)
    transactions, settings = deposits.transactions, deposits.settings
    async with transactions.read() as session:  # one statement: the transfer and any holder
        found, held = await RecordRepository(session).transfer_and_held(
            transfer_id, principal.subject, external_id
        )
    transfer = writable(found, principal)
    try:
        # Bounded while read at body_limit(settings) (medrec_ingest.bodies): a larger body is
        # refused (BodyTooLarge), and counted as a failed deposit below.
        raw = await request.body()
        body = parse_record(raw, RecordIn, today)
        data = None
        if isinstance(body.content, InlineContent):
            data = decode_inline(body.content, settings.inline_content_max_bytes)
            check_content(
                body.content.content_type, data, body.specialty.value, patient_claim(body.patient)
            )
        else:
            check_declared(body.content, settings)
    except (ValidationFailed, ContentTooLarge, BodyTooLarge) as refused:
        title = ContentTooLarge.title if isinstance(refused, BodyTooLarge) else refused.title
        await deposits.count_failed(transfer_id, [refusal(external_id, title)])
        raise
    candidate = deposits.candidate(transfer, external_id, body, data, now)
    record, created = await deposits.deposit_one(principal.subject, held, candidate, now)
    # Answered as RecordOut's JSON directly: a returned model would be dumped, validated against
    # response_model again and dumped once more (the OpenAPI document still says RecordOut).
    body_out = record_out(record).model_dump_json()
    # 200: an identical repeat, nothing changed
    return Response(body_out, status_code=201 if created else 200, media_type=JSON)


@router.put(
    CONTENT_PATH,
    response_model=RecordOut,
    status_code=201,
    summary="Stream a declared record's content",
    description="The raw content, of any size, in the body (chunked or with Content-Length). "
    "`Content-Type` must be the declared type and `Content-Digest: sha-256=:<base64>:` "
    "(RFC 9530) the declared digest; the body must match both and the declared size. The "
    "record is stored and announced only then. A mismatch answers 422 and keeps nothing; "
    "a repeat of stored content answers 200.",
    responses={
        200: {"description": "This content was stored already; nothing changed"},
        404: {"description": "No such transfer, or no such record in it"},
        409: {"description": "Other content was stored already, or the transfer is closed"},
        413: {"description": "Structured content over its limit"},
        422: {"description": "Does not match the declaration or Content-Digest; nothing kept"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in sorted(ALLOWED_CONTENT_TYPES)
            },
        }
    },
)
async def put_content(
    transfer_id: uuid.UUID,
    external_id: ExternalIdPath,
    request: Request,
    response: Response,
    principal: Depositor,
    deposits: DepositsDep,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_digest: Annotated[
        str | None, Header(description="RFC 9530: `sha-256=:<base64 of the SHA-256>:`")
    ] = None,
    content_length: Annotated[int | None, Header(include_in_schema=False)] = None,
    content_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> RecordOut:
    headers = ContentHeaders(content_type, content_digest, content_length, content_encoding)
    idle_seconds = deposits.settings.content_idle_timeout_seconds
    try:
        record, taken = await deposits.upload(
            principal,
            transfer_id,
            external_id,
            headers,
            lambda check: received(request, check, idle_seconds),
        )
    except ClientDisconnect:
        log.info("content_upload_interrupted", transfer_id=str(transfer_id))
        raise UploadInterrupted("The connection closed before the content was complete.") from None
    if not taken:  # this content was in already
        response.status_code = 200
    return record_out(record)


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
    BATCH_PATH,
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
    deposits: DepositsDep,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> NdjsonStream:
    async with deposits.transactions.begin() as session:
        transfer = await writable_transfer(session, transfer_id, principal)
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in _NDJSON_TYPES:
        raise UnsupportedMediaType(f"Send the records as {NDJSON}, one per line.")
    batch = Batch(deposits, transfer, principal.subject)
    return NdjsonStream(batch.answers(request.stream()))
