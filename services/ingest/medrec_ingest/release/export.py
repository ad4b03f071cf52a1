"""The export of a released transfer: its records, one NDJSON line each in the form of a batch
deposit line (content inline, base64), streamed in constant memory whatever their size. Rows are
read in short transactions of their own (from the `Transactions` given): none is held while
content streams."""

import base64
import json
import uuid
from collections.abc import AsyncIterator

from medrec_ingest.deposit.service import PATIENT_CONTEXT
from medrec_ingest.models import Record
from medrec_ingest.release.repository import ReleaseRepository
from medrec_shared.platform.crypto import unseal
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.vault import Vault

EXPORT_BATCH = 50


async def export_lines(
    transactions: Transactions, vault: Vault, transfer_id: uuid.UUID
) -> AsyncIterator[bytes]:
    after: str | None = None
    while True:
        async with transactions.begin() as session:  # short reads: none held while streaming
            batch = await ReleaseRepository(session).exportable(transfer_id, after, EXPORT_BATCH)
        for record in batch:
            # exportable() holds only records with content, hence with their key.
            assert record.object_key and record.kek_id and record.wrapped_dek
            yield _line_head(vault, record)
            content = vault.get(record.object_key, record.kek_id, record.wrapped_dek, record.span)
            async for piece in base64_pieces(content):
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


async def base64_pieces(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
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
