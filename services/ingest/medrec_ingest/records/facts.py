"""What stored structured records hold for the documents issuance makes
(`POST /internal/v1/records:document-facts`, scope document-facts:read): each record's content
decrypted through the vault, parsed as `application/vnd.medrec.record+json` (any schema version)
or, for a KR Core bundle (`application/fhir+json`), read as one (`rules.clinical.krcore_in`), and
reduced by `rules.clinical.document_facts` to dates and amounts. Nothing else leaves: no
names, no diagnoses' text, no notes.

Records not held, not stored, or neither structured nor FHIR have no facts and are left out of
the answer. The read is not added to the owner's access history here: issuance asks on the
citizen's own request and records that view itself (one line per request, DOMAIN.md), and these
answers carry no clinical text.
"""

import asyncio
import uuid
from collections.abc import Sequence

from fastapi import APIRouter
from pydantic import BaseModel, Field, ValidationError

from medrec_ingest.deposit.service import stored_records
from medrec_ingest.deps import DbSession, DocumentFactsReader, VaultDep
from medrec_ingest.fields import base_type
from medrec_ingest.models import Record
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.clinical import (
    FHIR_CONTENT_TYPE,
    STRUCTURED_RECORD_CONTENT_TYPE,
    StructuredRecordModel,
    document_facts,
    parse_krcore_record,
    parse_structured_record,
)
from medrec_shared.rules.contracts import DocumentFacts, DocumentFactsList

router = APIRouter(tags=["internal"], prefix="/internal/v1")
log = get_logger(__name__)

#: Contents decrypted at once: a structured record is held whole while it is parsed.
CONCURRENT_READS = 4
MAX_RECORDS = 500


class DocumentFactsQuery(BaseModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_RECORDS)


async def _content(vault: Vault, record: Record) -> bytes:
    assert record.object_key is not None and record.kek_id is not None
    assert record.wrapped_dek is not None
    stream = vault.get(record.object_key, record.kek_id, record.wrapped_dek, record.span)
    return b"".join([chunk async for chunk in stream])


READ_AS_STRUCTURED = frozenset({STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE})


def _parsed(record: Record, data: bytes) -> StructuredRecordModel:
    if base_type(record.content_type) == FHIR_CONTENT_TYPE:
        return parse_krcore_record(data, record.specialty)
    return parse_structured_record(data)


async def facts_of(vault: Vault, records: Sequence[Record]) -> list[DocumentFacts]:
    structured = [
        r
        for r in records
        if r.object_key is not None and base_type(r.content_type) in READ_AS_STRUCTURED
    ]
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def one(record: Record) -> DocumentFacts | None:
        async with gate:
            data = await _content(vault, record)
        try:
            document = _parsed(record, data)
        except (ValidationError, ValueError):
            # Checked on deposit, so this is a schema change gone wrong: say which, not what.
            log.warning("document_facts_unparsable", record_id=str(record.record_id))
            return None
        return document_facts(record.record_id, document)

    answers = await asyncio.gather(*(one(r) for r in structured))
    return [facts for facts in answers if facts is not None]


@router.post("/records:document-facts", response_model=DocumentFactsList)
async def records_document_facts(
    query: DocumentFactsQuery, session: DbSession, vault: VaultDep, caller: DocumentFactsReader
) -> DocumentFactsList:
    """The visit dates, stays, bills (their totals), payments and prescription dates of several
    stored structured records, for issuance to say what a document will hold. Records not held,
    not stored or not structured are left out."""
    records = await stored_records(session, query.record_ids)
    items = await facts_of(vault, records)
    log.info("document_facts_read", records=len(items), caller=caller.subject)
    return DocumentFactsList(items=items)
