"""PUT a declared record's content: any size, streamed in constant memory, encrypted on the fly
into an S3 multipart upload and checked against its declaration and `Content-Digest` (RFC 9530).

No transaction is open while the bytes flow: one short read before, one short write after. The
body is read a few MiB ahead of the upload, so receiving overlaps sending each part. On a
mismatch, a dropped connection or a stalled client the upload is aborted, so no object remains,
and the record stays awaiting its content (neither stored nor announced).
"""

import asyncio
import base64
import binascii
import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from starlette.requests import ClientDisconnect

from medrec_ingest.deposit import (
    conflict_problem,
    count_failed,
    object_key,
    record_content,
    record_out,
)
from medrec_ingest.deps import Depositor, OutboxDep, Sessions, Settings, VaultDep
from medrec_ingest.models import Record
from medrec_ingest.records import ExternalIdPath
from medrec_ingest.repositories import RecordRepository
from medrec_ingest.schemas import ALLOWED_CONTENT_TYPES, RecordOut, base_type
from medrec_ingest.streams import read_ahead
from medrec_ingest.transfers import open_transfer
from medrec_ingest.validation import ContentTooLarge, FieldErrors, StreamCheck, error
from medrec_shared.ids import new_id
from medrec_shared.logs import get_logger
from medrec_shared.problems import Conflict, NotFound, Problem, ValidationFailed

router = APIRouter(tags=["records"])
log = get_logger(__name__)
# RFC 9530 / RFC 8941 dictionary member: `sha-256=:<base64>:` with optional parameters.
_DIGEST_MEMBER = re.compile(r"^\s*([a-z0-9_.*-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*(?:;.*)?$")


class UploadInterrupted(Problem):
    status, type, title = 400, "upload-interrupted", "The upload was interrupted"


class UploadStalled(Problem):
    status, type, title = 408, "upload-stalled", "The upload stalled"


def parse_content_digest(value: str | None) -> str:
    """The hex SHA-256 named by a `Content-Digest` header, or `ValidationFailed`."""
    field = "Content-Digest"
    if not value:
        raise ValidationFailed(
            errors=[error(field, "is required: sha-256=:<base64 SHA-256 of the content>:")]
        )
    for member in value.split(","):
        match = _DIGEST_MEMBER.match(member)
        if match is None or match[1] != "sha-256":
            continue
        try:
            digest = base64.b64decode(match[2], validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            raise ValidationFailed(errors=[error(field, "sha-256 is not 32 bytes in base64")])
        return digest.hex()
    raise ValidationFailed(errors=[error(field, "must carry sha-256=:<base64>: (RFC 9530)")])


def header_errors(
    record: Record,
    digest: str,
    content_type: str | None,
    content_length: int | None,
    content_encoding: str | None,
) -> FieldErrors:
    """The request's headers against the record's declaration, before any byte is read."""
    errors = []
    if content_type is None or base_type(content_type) != base_type(record.content_type):
        errors.append(error("Content-Type", "must be the declared content_type"))
    if digest != record.sha256:
        errors.append(error("Content-Digest", "does not match the declared sha256"))
    if content_length is not None and content_length != record.size:
        errors.append(error("Content-Length", "does not match the declared size"))
    if content_encoding not in (None, "identity"):
        errors.append(error("Content-Encoding", "is not supported: send the content as is"))
    return errors


async def _received(
    request: Request, check: StreamCheck, idle_seconds: float
) -> AsyncIterator[bytes]:
    stream = request.stream().__aiter__()
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                chunk = await anext(stream)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise UploadStalled(f"Nothing arrived for {idle_seconds:.0f} seconds.") from None
        if chunk:
            check.update(chunk)
            yield chunk
    check.finish()


@router.put(
    "/v1/transfers/{transfer_id}/records/{external_id}/content",
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
    sessions: Sessions,
    settings: Settings,
    vault: VaultDep,
    outbox: OutboxDep,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_digest: Annotated[
        str | None, Header(description="RFC 9530: `sha-256=:<base64 of the SHA-256>:`")
    ] = None,
    content_length: Annotated[int | None, Header(include_in_schema=False)] = None,
    content_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> RecordOut:
    async with sessions.begin() as session:
        transfer = await open_transfer(session, transfer_id, principal)
        record = await RecordRepository(session).by_external_id(
            transfer.institution_code, external_id
        )
    if record is None or record.transfer_id != transfer.transfer_id:
        raise NotFound("No such record in this transfer.")

    try:
        digest = parse_content_digest(content_digest)
        if record.status == "stored":
            if digest != record.sha256:
                raise conflict_problem()
            response.status_code = 200
            return record_out(record)
        if record.status != "awaiting_content":
            raise Conflict(f"The record is {record.status}; its content cannot be given.")
        errors = header_errors(record, digest, content_type, content_length, content_encoding)
        if errors:
            raise ValidationFailed(errors=errors)
        check = StreamCheck(
            size=record.size,
            sha256=record.sha256,
            content_type=record.content_type,
            specialty=record.specialty,
            hold_limit=settings.structured_content_max_bytes,
        )
        key = object_key(record.record_id, new_id())
        received = _received(request, check, settings.content_idle_timeout_seconds)
        stored = await vault.put(key, read_ahead(received))
    except (ValidationFailed, ContentTooLarge, Conflict) as refused:
        if not isinstance(refused, Conflict) or refused.type == "record-conflict":
            async with sessions.begin() as session:
                await count_failed(session, transfer_id)
        log.info("content_refused", transfer_id=str(transfer_id), problem=refused.type)
        raise
    except ClientDisconnect:
        log.info("content_upload_interrupted", transfer_id=str(transfer_id))
        raise UploadInterrupted("The connection closed before the content was complete.") from None

    current = await record_content(sessions, outbox, settings, vault, record, stored)
    if current is not record:  # another upload of the same content was recorded first
        response.status_code = 200
    return record_out(current)
