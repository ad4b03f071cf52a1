"""Release: a suspended institution reopens and takes its records back. An operator releases
the transfer: its records leave citizens' views at once, the depositing client exports them
(NDJSON, the lines of a batch deposit, content inline) until the grace period ends, and then
they are destroyed like expired records (`destruction.destroy_unreclaimed`)."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_ingest.deposit import PATIENT_CONTEXT
from medrec_ingest.deps import (
    DbSession,
    Depositor,
    Operator,
    OutboxDep,
    Sessions,
    Settings,
    VaultDep,
)
from medrec_ingest.models import Record
from medrec_ingest.repositories import OutboxRepository, RecordRepository, TransferRepository
from medrec_ingest.schemas import TransferOut
from medrec_ingest.transfers import own_transfer, transfer_out
from medrec_shared.crypto import unseal
from medrec_shared.events import RecordWithdrawn, TransferReleased
from medrec_shared.problems import Conflict, Gone, NotFound
from medrec_shared.vault import Vault
from medrec_shared.web import Now

router = APIRouter(tags=["release"])
EXPORT_BATCH = 50
WITHDRAWN_ON_RELEASE = "released"


class NotSuspended(Conflict):
    type, title = "not-suspended", "Only a suspended institution's records are released"


class NotReleased(Conflict):
    type, title = "not-released", "The transfer has not been released"


class GraceOver(Gone):
    type, title = "grace-period-over", "The grace period for taking the records back has ended"


@router.post("/v1/transfers/{transfer_id}/release", response_model=TransferOut)
async def release_transfer(
    transfer_id: uuid.UUID,
    session: DbSession,
    _: Operator,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> TransferOut:
    """Withdraws the transfer's records from citizens and opens the grace period for its client
    to export them. A repeat changes nothing."""
    transfer = await TransferRepository(session).get(transfer_id, for_update=True)
    if transfer is None:
        raise NotFound("No such transfer.")
    if transfer.status == "released":
        return transfer_out(transfer)
    if transfer.reason != "suspension":
        raise NotSuspended("The institution closed; its records stay for their retention period.")
    transfer.status, transfer.released_at = "released", now
    transfer.grace_until = now + timedelta(days=settings.release_grace_days)
    withdrawn = await RecordRepository(session).withdraw(transfer_id)
    await OutboxRepository(session).add_many(
        outbox,
        settings.topic_record,
        [
            (
                key or str(record_id),
                RecordWithdrawn(record_id=record_id, reason=WITHDRAWN_ON_RELEASE),
            )
            for record_id, key in withdrawn
        ],
    )
    await outbox.add(
        session,
        settings.topic_transfer,
        transfer_id,
        TransferReleased(
            transfer_id=transfer_id,
            institution_code=transfer.institution_code,
            grace_until=transfer.grace_until,
        ),
    )
    await session.flush()
    return transfer_out(transfer)


@router.get(
    "/v1/transfers/{transfer_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_transfer(
    transfer_id: uuid.UUID, principal: Depositor, sessions: Sessions, vault: VaultDep, now: Now
) -> StreamingResponse:
    """The released transfer's records, one NDJSON line each in the form of a batch deposit
    line (content inline, base64), streamed in constant memory whatever their size."""
    async with sessions() as session:
        transfer = await own_transfer(session, transfer_id, principal)
        if transfer.status != "released" or transfer.grace_until is None:
            raise NotReleased("Records are exported only after an operator releases them.")
        if now >= transfer.grace_until:
            raise GraceOver(f"It ended at {transfer.grace_until.isoformat()}.")
    return StreamingResponse(
        _export_lines(sessions, vault, transfer_id), media_type="application/x-ndjson"
    )


async def _export_lines(
    sessions: async_sessionmaker[AsyncSession], vault: Vault, transfer_id: uuid.UUID
) -> AsyncIterator[bytes]:
    after: str | None = None
    while True:
        async with sessions() as session:  # short reads: no transaction held while streaming
            batch = await RecordRepository(session).exportable(transfer_id, after, EXPORT_BATCH)
        for record in batch:
            # exportable() holds only records with content, hence with their key.
            assert record.object_key and record.kek_id and record.wrapped_dek
            yield _line_head(vault, record)
            content = vault.get(record.object_key, record.kek_id, record.wrapped_dek)
            async for piece in _base64(content):
                yield piece
            yield b'"}}\n'
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].external_id


def _line_head(vault: Vault, record: Record) -> bytes:
    """The line up to the opening quote of `data_base64`; the content follows as it is read."""
    patient = json.loads(unseal(vault.keyring, record.patient_sealed, context=PATIENT_CONTEXT))
    fields = {
        "external_id": record.external_id,
        "patient": {
            "rrn": patient["rrn"],
            "name": patient["name"],
            "birth_date": record.birth_date.isoformat(),
            "sex": record.sex,
        },
        "kind": record.kind,
        "specialty": record.specialty,
        "title": record.title,
        "department": record.department,
        "service_start": record.service_start.isoformat(),
        "service_end": record.service_end.isoformat(),
    }
    head = json.dumps(fields, ensure_ascii=False)[:-1]  # open: the content comes last
    content_type = json.dumps(record.content_type)
    return f'{head}, "content": {{"content_type": {content_type}, "data_base64": "'.encode()


async def _base64(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Base64 of a stream, piece by piece: each piece encodes whole 3-byte groups."""
    carry = b""
    async for chunk in chunks:
        data = carry + chunk
        whole = len(data) - len(data) % 3
        carry = data[whole:]
        if whole:
            yield base64.b64encode(data[:whole])
    if carry:
        yield base64.b64encode(carry)
