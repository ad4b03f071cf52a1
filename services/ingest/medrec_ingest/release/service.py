"""Release: a suspended institution reopens and takes its records back. An operator releases
the transfer: its records leave citizens' views at once, the depositing client exports them
(export.py) until the grace period ends, and then they are destroyed like expired records
(`destruction.service.destroy_unreclaimed`).

The rules (`release`, `check_exportable`) are pure; `release_transfer` works in the caller's
session and never commits.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.models import Transfer, TransferStatus
from medrec_ingest.records.rules import event_key
from medrec_ingest.release.repository import ReleaseRepository
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers.service import transfer_for_update
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict, Gone, NotFound
from medrec_shared.rules.events import RecordWithdrawn, TransferReleased

WITHDRAWN_ON_RELEASE = "released"


class NotSuspended(Conflict):
    type, title = "not-suspended", "Only a suspended institution's records are released"


class NotReleased(Conflict):
    type, title = "not-released", "The transfer has not been released"


class GraceOver(Gone):
    type, title = "grace-period-over", "The grace period for taking the records back has ended"


def release(transfer: Transfer, now: datetime, grace: timedelta) -> bool:
    """Releases a suspended institution's transfer: its grace period runs from `now`. False
    when it was released already (a repeat changes nothing); `NotSuspended` for a closure,
    whose records stay for their retention period."""
    if transfer.status == TransferStatus.released:
        return False
    if transfer.reason != "suspension":
        raise NotSuspended("The institution closed; its records stay for their retention period.")
    transfer.status, transfer.released_at = TransferStatus.released, now
    transfer.grace_until = now + grace
    return True


def check_exportable(transfer: Transfer, now: datetime) -> None:
    """A transfer's records are exported once it is released, until its grace period ends."""
    if transfer.status != TransferStatus.released or transfer.grace_until is None:
        raise NotReleased("Records are exported only after an operator releases them.")
    if now >= transfer.grace_until:
        raise GraceOver(f"It ended at {transfer.grace_until.isoformat()}.")


async def release_transfer(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    transfer_id: uuid.UUID,
    now: datetime,
) -> Transfer:
    """Releases the transfer, withdraws its records from citizens and announces both
    (RecordWithdrawn for each record, TransferReleased)."""
    transfer = await transfer_for_update(session, transfer_id)
    if transfer is None:
        raise NotFound("No such transfer.")
    if not release(transfer, now, timedelta(days=settings.release_grace_days)):
        return transfer
    assert transfer.grace_until is not None
    withdrawn = await ReleaseRepository(session).withdraw(transfer_id)
    for record_id, person_key in withdrawn:
        event = RecordWithdrawn(record_id=record_id, reason=WITHDRAWN_ON_RELEASE)
        announce(session, settings.topic_record, event_key(record_id, person_key), event)
    announce(
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
    return transfer
