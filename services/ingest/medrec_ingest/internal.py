"""Service-to-service reads: record metadata for catalog, plaintext content for issuance. Every
content read is recorded, in the read's own transaction (the outbox: committed before the first
byte goes out), in the owner's access history with the calling client and its purpose."""

import base64
import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.deposit.repository import RecordRepository
from medrec_ingest.deps import (
    ContentReader,
    DbSession,
    MetadataReader,
    Settings,
    VaultDep,
)
from medrec_ingest.models import Record
from medrec_ingest.records.rules import is_stored
from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.audit import Purpose, system_access
from medrec_shared.rules.contracts import RecordMetadata, RecordMetadataList

router = APIRouter(tags=["internal"], prefix="/internal/v1")


def owner_key(record: Record) -> str:
    """Whose history a read of `record` goes to: its owner's person key; for a record without an
    RRN not linked yet, its match key (whoever it turns out to be), or its id before it has one."""
    return record.person_key or record.match_key or str(record.record_id)


def record_read(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    client_id: str,
    record: Record,
    resource_type: str,
    purpose: Purpose,
) -> None:
    """A service client's read of `record` into its owner's access history (outbox, durable)."""
    event = system_access(
        client_id, owner_key(record), resource_type, str(record.record_id), purpose
    )
    announce(session, settings.topic_audit, event.subject_person_key, event)


def metadata_of(record: Record) -> RecordMetadata:
    return RecordMetadata(
        record_id=record.record_id,
        institution_code=record.institution_code,
        title=record.title,
        department=record.department,
        kind=record.kind,
        specialty=record.specialty,
    )


@router.get("/records/{record_id}", response_model=RecordMetadata)
async def record_metadata(
    record_id: uuid.UUID, session: DbSession, _: MetadataReader
) -> RecordMetadata:
    record = await RecordRepository(session).get(record_id)
    if not is_stored(record):
        raise NotFound("No such record.")
    return metadata_of(record)


class MetadataQuery(BaseModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


@router.post("/records:metadata", response_model=RecordMetadataList)
async def records_metadata(
    query: MetadataQuery, session: DbSession, _: MetadataReader
) -> RecordMetadataList:
    """Several records' metadata at once (catalog reads a poll of events with one request);
    records not held, or not stored, are left out."""
    records = await RecordRepository(session).stored_among(query.record_ids)
    return RecordMetadataList(items=[metadata_of(r) for r in records])


@router.get("/records/{record_id}/content")
async def record_content(
    record_id: uuid.UUID,
    purpose: Purpose,
    session: DbSession,
    vault: VaultDep,
    caller: ContentReader,
    settings: Settings,
) -> StreamingResponse:
    """The record's plaintext, for the purpose the caller names (`purpose`)."""
    record = await RecordRepository(session).get(record_id)
    if not is_stored(record) or record.object_key is None:
        raise NotFound("No such record.")
    record_read(
        session,
        settings=settings,
        client_id=caller.subject,
        record=record,
        resource_type="record_content",
        purpose=purpose,
    )
    assert record.kek_id is not None and record.wrapped_dek is not None
    digest = base64.b64encode(bytes.fromhex(record.sha256)).decode()
    return StreamingResponse(
        vault.get(record.object_key, record.kek_id, record.wrapped_dek, record.span),
        media_type=record.content_type,
        headers={"Content-Digest": f"sha-256=:{digest}:", "Content-Length": str(record.size)},
    )
