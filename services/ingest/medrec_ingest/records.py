"""Depositing one record: validated, encrypted into the bucket, announced once stored."""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from sqlalchemy.exc import IntegrityError

from medrec_ingest.deps import DbSession, Depositor, OutboxDep, Settings, VaultDep
from medrec_ingest.models import Record, Transfer
from medrec_ingest.repositories import RecordRepository, TransferRepository
from medrec_ingest.schemas import InlineContent, RecordIn, RecordOut
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers import open_transfer
from medrec_shared.crypto import blind_index, seal
from medrec_shared.events import RecordStored
from medrec_shared.ids import new_id
from medrec_shared.problems import Conflict, ValidationFailed
from medrec_shared.retention import retention_until

router = APIRouter(tags=["records"])
ExternalId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._~:@-]+$")]
PATIENT_CONTEXT = b"ingest.patient"


class RecordConflict(Conflict):
    type, title = "record-conflict", "A different record was deposited under this external_id"


def fingerprint(settings: IngestSettings, body: RecordIn, content_sha256: str) -> str:
    """Keyed digest of everything deposited: equal for an identical repeat, and not a
    brute-forceable hash of the patient's details."""
    deposited = body.model_dump(mode="json", exclude={"content"})
    deposited |= {"content_type": body.content.content_type, "sha256": content_sha256}
    canonical = json.dumps(deposited, sort_keys=True, ensure_ascii=False)
    key = settings.person_index_key.get_secret_value().encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def record_out(record: Record) -> RecordOut:
    return RecordOut.model_validate(record, from_attributes=True)


def decode_inline(content: InlineContent, limit: int) -> bytes:
    if len(content.data_base64) > (limit * 4) // 3 + 4:
        raise ValidationFailed(errors=[{"field": "content.data_base64",
                                        "message": f"inline content is limited to {limit} bytes; "
                                        "use the content endpoint"}])  # fmt: skip
    try:
        return base64.b64decode(content.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            errors=[{"field": "content.data_base64", "message": "not valid base64"}]
        ) from None


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def new_record(
    settings: IngestSettings,
    keyring_seal: bytes,
    transfer: Transfer,
    external_id: str,
    body: RecordIn,
) -> Record:
    index_key = settings.person_index_key.get_secret_value().encode()
    return Record(
        record_id=new_id(),
        transfer_id=transfer.transfer_id,
        institution_code=transfer.institution_code,
        external_id=external_id,
        person_key=blind_index(index_key, body.patient.rrn) if body.patient.rrn else None,
        patient_sealed=keyring_seal,
        birth_date=body.patient.birth_date,
        sex=body.patient.sex,
        kind=body.kind.value,
        specialty=body.specialty.value,
        title=body.title,
        department=body.department,
        service_start=body.service_start,
        service_end=body.service_end,
        content_type=body.content.content_type,
    )


def stored_event(record: Record) -> RecordStored:
    return RecordStored(
        record_id=record.record_id,
        transfer_id=record.transfer_id,
        institution_code=record.institution_code,
        person_key=record.person_key,
        kind=record.kind,
        specialty=record.specialty,
        service_start=record.service_start,
        service_end=record.service_end,
        content_type=record.content_type,
        size=record.size,
        sha256=record.sha256,
    )


@router.put(
    "/v1/transfers/{transfer_id}/records/{external_id}",
    response_model=RecordOut,
    status_code=201,
    responses={200: {"description": "an identical repeat; nothing changed"},
               409: {"description": "same external_id, different record"}},
)  # fmt: skip
async def put_record(
    transfer_id: uuid.UUID,
    external_id: ExternalId,
    body: RecordIn,
    response: Response,
    session: DbSession,
    principal: Depositor,
    settings: Settings,
    vault: VaultDep,
    outbox: OutboxDep,
) -> RecordOut:
    transfer = await open_transfer(session, transfer_id, principal)
    if not isinstance(body.content, InlineContent):
        raise ValidationFailed(
            errors=[{"field": "content", "message": "declared content: not yet"}]
        )
    data = decode_inline(body.content, settings.inline_content_max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    print_ = fingerprint(settings, body, digest)
    records = RecordRepository(session)
    existing = await records.by_external_id(transfer.institution_code, external_id)
    if existing is not None:
        return _repeat(existing, print_, response)

    patient = json.dumps({"rrn": body.patient.rrn, "name": body.patient.name}).encode()
    record = new_record(settings, seal(vault.keyring, patient, context=PATIENT_CONTEXT), transfer,
                        external_id, body)  # fmt: skip
    # Ids only in object keys: storage operators can see them.
    stored = await vault.put(f"records/{record.record_id}", _one_chunk(data))
    record.object_key, record.kek_id, record.wrapped_dek = (
        stored.object_key,
        stored.kek_id,
        stored.wrapped_dek,
    )
    record.size, record.sha256, record.fingerprint = stored.size, stored.sha256, print_
    record.status, record.stored_at = "stored", datetime.now(UTC)
    try:
        async with session.begin_nested():
            await records.add(record)
    except IntegrityError:
        # Deposited concurrently under the same id: the other request won; ours leaves no trace.
        await vault.delete(stored.object_key)
        existing = await records.by_external_id(transfer.institution_code, external_id)
        assert existing is not None
        return _repeat(existing, print_, response)
    expired = retention_until(record.kind, record.service_end) < date.today()
    await TransferRepository(session).count_stored(transfer.transfer_id, record.size, expired)
    await outbox.add(
        session, settings.topic_record, record.person_key or record.record_id, stored_event(record)
    )
    return record_out(record)


def _repeat(existing: Record, print_: str, response: Response) -> RecordOut:
    if existing.fingerprint != print_:
        raise RecordConflict("Use a new external_id for a different record.")
    response.status_code = 200
    return record_out(existing)
