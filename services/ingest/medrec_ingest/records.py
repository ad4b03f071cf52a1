"""PUT one record: its content inline (stored at once) or declared (stored once streamed)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_ingest.deposit import (
    Candidate,
    conflict_problem,
    count_failed,
    give_inline_content,
    judge,
    new_candidate,
    record_out,
    store_inline,
    write_new,
)
from medrec_ingest.deps import Depositor, OutboxDep, Sessions, Settings, VaultDep
from medrec_ingest.openapi import json_body
from medrec_ingest.repositories import OwnedRecord, RecordRepository
from medrec_ingest.schemas import (
    EXTERNAL_ID_PATTERN,
    BatchStatus,
    DeclaredContent,
    InlineContent,
    RecordIn,
    RecordOut,
    base_type,
    not_rrn,
)
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers import open_transfer
from medrec_ingest.validation import (
    STRUCTURED_TYPES,
    ContentTooLarge,
    check_content,
    decode_inline,
    error,
    inline_limit_error,
    parse_record,
)
from medrec_shared.auth import Principal
from medrec_shared.messaging import Outbox
from medrec_shared.problems import ValidationFailed
from medrec_shared.vault import Vault

router = APIRouter(tags=["records"])
ExternalIdPath = Annotated[
    str,
    Path(min_length=1, max_length=200, pattern=EXTERNAL_ID_PATTERN),
    AfterValidator(not_rrn),
]
METADATA_ALLOWANCE = 64 * 1024  # a record's JSON beyond its base64 content


def body_limit(settings: IngestSettings) -> int:
    return 4 * -(-settings.inline_content_max_bytes // 3) + METADATA_ALLOWANCE


async def read_body(request: Request, limit: int, inline_limit: int) -> bytes:
    """The request body, refused (unread beyond) once it exceeds `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise inline_limit_error(inline_limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise inline_limit_error(inline_limit)
    return bytes(body)


def check_declared(content: DeclaredContent, settings: IngestSettings) -> None:
    if content.size > settings.content_max_bytes:
        raise ContentTooLarge(
            errors=[error("content.size", f"is limited to {settings.content_max_bytes} bytes")]
        )
    limit = settings.structured_content_max_bytes
    if base_type(content.content_type) in STRUCTURED_TYPES and content.size > limit:
        raise ContentTooLarge(
            errors=[error("content.size", f"structured content is limited to {limit} bytes")]
        )


@router.put(
    "/v1/transfers/{transfer_id}/records/{external_id}",
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
    response: Response,
    principal: Depositor,
    sessions: Sessions,
    settings: Settings,
    vault: VaultDep,
    outbox: OutboxDep,
) -> RecordOut:
    async with sessions.begin() as session:
        transfer = await open_transfer(session, transfer_id, principal)
        found = await RecordRepository(session).find(transfer.institution_code, [external_id])
    try:
        raw = await read_body(request, body_limit(settings), settings.inline_content_max_bytes)
        body = parse_record(raw, RecordIn)
        data = None
        if isinstance(body.content, InlineContent):
            data = decode_inline(body.content, settings.inline_content_max_bytes)
            check_content(body.content.content_type, data, body.specialty.value)
        else:
            check_declared(body.content, settings)
    except (ValidationFailed, ContentTooLarge):
        async with sessions.begin() as session:
            await count_failed(session, transfer_id)
        raise
    candidate = new_candidate(settings, vault, transfer, external_id, body, data)
    if external_id in found:
        return await _repeat(
            found[external_id], candidate, principal, response, sessions, vault, outbox, settings
        )

    if candidate.data is not None:
        await store_inline(vault, candidate)  # between transactions: no connection held
    try:
        async with sessions.begin() as session:
            inserted = await write_new(session, outbox, settings, transfer_id, [candidate])
    except BaseException:
        await _discard(vault, candidate)
        raise
    if candidate.record.record_id in inserted:
        return record_out(candidate.record)

    # Deposited concurrently under the same id: the other request won; ours leaves no trace.
    await _discard(vault, candidate)
    async with sessions.begin() as session:
        found = await RecordRepository(session).find(transfer.institution_code, [external_id])
    return await _repeat(
        found[external_id], candidate, principal, response, sessions, vault, outbox, settings
    )


async def _repeat(
    existing: OwnedRecord,
    candidate: Candidate,
    principal: Principal,
    response: Response,
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    outbox: Outbox,
    settings: IngestSettings,
) -> RecordOut:
    if judge(existing, candidate.fingerprint, principal.subject) is BatchStatus.unchanged:
        response.status_code = 200
        record = existing.record
        if record.status == "awaiting_content" and candidate.data is not None:
            record = await give_inline_content(
                sessions, outbox, settings, vault, record, candidate.data
            )
        return record_out(record)
    async with sessions.begin() as session:
        await count_failed(session, candidate.record.transfer_id)
    raise conflict_problem()


async def _discard(vault: Vault, candidate: Candidate) -> None:
    if candidate.record.object_key is not None:
        await vault.delete(candidate.record.object_key)
