"""POST …/complete: the depositor confirms how many records the transfer holds. The counts are
checked against what was received and stored; the transfer then takes no more writes, and
TransferCompleted is announced."""

import uuid

from fastapi import APIRouter

from medrec_ingest.deps import DbSession, Depositor, OutboxDep, Settings
from medrec_ingest.repositories import RecordRepository, TransferRepository
from medrec_ingest.schemas import CompleteIn, TransferOut
from medrec_ingest.transfers import TransferClosed, own_transfer, transfer_out
from medrec_shared.events import TransferCompleted
from medrec_shared.problems import Conflict, ValidationFailed

router = APIRouter(tags=["transfers"])
LISTED = 100  # external_ids named in a problem, at most


class TransferIncomplete(Conflict):
    type, title = "transfer-incomplete", "The transfer does not hold what was declared"


@router.post(
    "/v1/transfers/{transfer_id}/complete",
    response_model=TransferOut,
    summary="Complete a transfer",
    description="Checks `record_count` against the records received, and that every record's "
    "content is in. A mismatch answers 409 naming the records awaiting content and, when "
    "`external_ids` are given, the ones never received (at most 100 of each, with totals). "
    "Once completed, writes to the transfer answer 409; repeating the same completion "
    "answers 200.",
    responses={409: {"description": "Counts do not match, or the transfer is closed"}},
)
async def complete_transfer(
    transfer_id: uuid.UUID,
    body: CompleteIn,
    session: DbSession,
    principal: Depositor,
    outbox: OutboxDep,
    settings: Settings,
) -> TransferOut:
    # The lock waits for deposits in flight to commit, and holds off new ones until we are done.
    transfer = await own_transfer(session, transfer_id, principal, lock=True)
    if transfer.status == "completed" and transfer.record_count == body.record_count:
        return transfer_out(transfer)
    if transfer.status != "open":
        raise TransferClosed(f"The transfer is {transfer.status}.")
    listed = sorted(set(body.external_ids)) if body.external_ids is not None else None
    if listed is not None and len(listed) != body.record_count:
        raise ValidationFailed(
            errors=[{"field": "external_ids", "message": "must list record_count distinct ids"}]
        )

    records = RecordRepository(session)
    tally = await records.tally(transfer_id)
    missing: list[str] = []
    if listed is not None:
        present = await records.present(transfer_id, listed)
        missing = [external_id for external_id in listed if external_id not in present]
    if tally.total != body.record_count or tally.awaiting or missing:
        awaiting = await records.awaiting_content(transfer_id, LISTED)
        extra: dict[str, object] = {
            "record_count": body.record_count,
            "received": tally.total,
            "stored": tally.total - tally.awaiting,
            "awaiting_content": awaiting,
            "awaiting_content_total": tally.awaiting,
        }
        if listed is not None:
            extra |= {"missing": missing[:LISTED], "missing_total": len(missing)}
        raise TransferIncomplete(
            f"{body.record_count} records declared; {tally.total} received, "
            f"{tally.awaiting} of them awaiting content"
            + (f"; {len(missing)} listed ids never received." if listed is not None else "."),
            extra=extra,
        )

    await TransferRepository(session).complete(transfer, body.record_count)
    await outbox.add(
        session,
        settings.topic_transfer,
        transfer.transfer_id,
        TransferCompleted(
            transfer_id=transfer.transfer_id,
            institution_code=transfer.institution_code,
            record_count=body.record_count,
            expired_on_arrival=transfer.expired_on_arrival,
        ),
    )
    return transfer_out(transfer)
