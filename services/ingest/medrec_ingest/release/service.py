"""Release: a suspended institution reopens and takes its records back. Platform staff release
the transfer: its records leave citizens' views at once, the depositing client exports them
(export.py) until the grace period ends, and then they are destroyed like expired records
(`destruction.service.destroy_unreclaimed`). It cannot be undone, so it takes two people
(medrec_shared.rules.staff_acts): the first person's release is a proposal, a different
person's confirms it and releases; the proposer again is refused (409), a machine account too
(403). Both are in the audit trail.

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
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict, Gone, NotFound
from medrec_shared.rules.audit import ACTOR_ID_MAX
from medrec_shared.rules.events import RecordWithdrawn, TransferReleased
from medrec_shared.rules.staff_acts import announce_act, deciding_person, second_approval

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
    check_releasable(transfer)
    transfer.status, transfer.released_at = TransferStatus.released, now
    transfer.grace_until = now + grace
    return True


def check_releasable(transfer: Transfer) -> None:
    """Only a suspended institution's records go back; a closure's stay for their period."""
    if transfer.reason != "suspension":
        raise NotSuspended("The institution closed; its records stay for their retention period.")


def propose_release(
    transfer: Transfer, *, by: Principal, reason: str | None, now: datetime
) -> None:
    """The first person's release: kept until another confirms it."""
    check_releasable(transfer)
    transfer.release_proposed_by = by.accountable[:ACTOR_ID_MAX]
    transfer.release_proposed_at, transfer.release_reason = now, reason


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
    by: Principal,
    reason: str | None,
    now: datetime,
) -> tuple[Transfer, bool]:
    """The first person's call proposes the release (True: proposed); a different person's
    releases the transfer, withdraws its records from citizens and announces both
    (RecordWithdrawn for each record, TransferReleased). A transfer released already is
    answered as it is (False)."""
    deciding_person(by)
    transfer = await transfer_for_update(session, transfer_id)
    if transfer is None:
        raise NotFound("No such transfer.")
    if transfer.status == TransferStatus.released:
        return transfer, False
    check_releasable(transfer)

    def acted(act: str) -> None:
        topic, id_ = settings.topic_audit, str(transfer_id)
        announce_act(session, topic, by, act, "transfer", id_, reason=reason)

    if not second_approval(transfer.release_proposed_by, by):
        propose_release(transfer, by=by, reason=reason, now=now)
        acted("transfer.propose_release")
        await session.flush()
        return transfer, True
    release(transfer, now, timedelta(days=settings.release_grace_days))
    transfer.released_by = by.accountable[:ACTOR_ID_MAX]
    acted("transfer.release")
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
    return transfer, False
