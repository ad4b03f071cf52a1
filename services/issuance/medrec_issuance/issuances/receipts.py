"""The 이관확인서 (#29): when a transfer completes (TransferCompleted), an issuance of type
`transfer_receipt` is made for it, once however often the event comes, and rendered by the
worker like any document (`Fulfilment.make`, in the confined child: `statements.transfer`),
signed, with its own number, code and QR to the public 진위확인.

It is issued to the depositing client (`requester_subject`) and to no person: no records, no
subject (`subject_person_key` empty), so no citizen ever lists it, and `POST /v1/issuances`
refuses the type (`CITIZEN_DOCUMENTS`). The depositor reads it through ingest
(`GET /v1/transfers/{id}/receipt`), which asks here with the depositor's own token: another
client's receipt is not found. What it states (`ReceiptFacts`) comes from the event alone:
counts, dates, digests and external ids, nothing of a patient."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.issuances.service import NotReady, new_code, new_number
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import NotFound, Problem
from medrec_shared.platform.vault import Vault
from medrec_shared.rules.documents import DocumentType
from medrec_shared.rules.events import IssuanceRequested, TransferCompleted

log = get_logger(__name__)
NO_PERSON = ""  # a receipt's subject: an institution's handover, no one's records


class ReceiptFacts(BaseModel):
    """What the receipt states; JSON in `Issuance.facts` and in the render job."""

    transfer_id: str
    institution_code: str
    institution_name: str
    record_count: int
    counts: dict[str, int]
    period_from: str | None
    period_to: str | None
    manifest_sha256: str | None
    missing: int
    missing_ids: list[str]
    received_at: str


class ReceiptFailed(Problem):
    status, type, title = 500, "receipt-failed", "The receipt could not be made"


def facts_of(event: TransferCompleted, received_at: datetime) -> ReceiptFacts:
    return ReceiptFacts(
        transfer_id=str(event.transfer_id),
        institution_code=event.institution_code,
        institution_name=event.institution_name or event.institution_code,
        record_count=event.record_count,
        counts=dict(event.counts),
        period_from=event.period_from and event.period_from.isoformat(),
        period_to=event.period_to and event.period_to.isoformat(),
        manifest_sha256=event.manifest_sha256,
        missing=event.missing,
        missing_ids=list(event.missing_ids),
        received_at=(event.completed_at or received_at).isoformat(),
    )


async def receipt_of(session: AsyncSession, transfer_id: uuid.UUID) -> Issuance | None:
    return await session.scalar(select(Issuance).where(Issuance.transfer_id == transfer_id))


async def start_receipt(
    session: AsyncSession, settings: IssuanceSettings, event: TransferCompleted, now: datetime
) -> None:
    """The receipt of a completed transfer, to be rendered by the worker; nothing when it is
    already there (a redelivered event) or the event does not name its depositor (older
    than #29)."""
    if event.client_id is None:
        log.info("receipt_skipped_no_client", transfer_id=str(event.transfer_id))
        return
    if await receipt_of(session, event.transfer_id) is not None:
        return
    facts = facts_of(event, now)
    issuance = Issuance(
        issuance_id=new_id(),
        requester_subject=event.client_id,
        requester_actor=None,
        subject_person_key=NO_PERSON,
        subject_name_masked="-",
        record_ids=[],
        purpose="이관 확인",
        document_type=DocumentType.transfer_receipt.value,
        institution_code=event.institution_code,
        period_from=event.period_from,
        period_to=event.period_to,
        include_diagnoses=False,
        transfer_id=event.transfer_id,
        facts=facts.model_dump(mode="json"),
        status=IssuanceStatus.pending,
        issuance_number=new_number(now),
        verification_code=new_code(),
        institutions=[facts.institution_name],
        created_at=now,
    )
    session.add(issuance)
    await session.flush()
    announce(
        session,
        settings.topic_issuance,
        issuance.issuance_id,
        IssuanceRequested(issuance_id=issuance.issuance_id, record_count=0),
    )


async def receipt_download(
    session: AsyncSession, vault: Vault, principal: Principal, transfer_id: uuid.UUID
) -> tuple[Issuance, AsyncIterator[bytes]]:
    """The depositor's receipt as a stream of the signed PDF; another client's is not found,
    one not made yet is `NotReady` (409). A receipt does not expire for its depositor."""
    issuance = await receipt_of(session, transfer_id)
    if issuance is None or issuance.requester_subject != principal.subject:
        raise NotFound("No receipt for this transfer.")
    if issuance.status == IssuanceStatus.failed:
        raise ReceiptFailed(issuance.failure_reason)
    if issuance.status != IssuanceStatus.ready:
        raise NotReady("The receipt is being made.")
    assert issuance.object_key and issuance.kek_id and issuance.wrapped_dek
    return issuance, vault.get(issuance.object_key, issuance.kek_id, issuance.wrapped_dek)
