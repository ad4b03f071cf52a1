"""The rules of a transfer: who may see it, that it takes records only while open, what opening
announces, and completion: the depositor confirms how many records the transfer holds, the count
is checked against what was received and stored (naming what is missing), then the transfer takes
no more writes and TransferCompleted is announced.

Nothing here commits: each function works in the caller's session (the request's transaction).
The rules themselves (`effective_date_errors`, `already_completed`, `listed_ids`, `is_complete`,
`incomplete`) are pure.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_ingest.fields import FieldErrors, error
from medrec_ingest.models import Transfer, TransferStatus
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers.reconciliation import StoredLine, reconcile, stored_period
from medrec_ingest.transfers.repository import Tally, TransferRepository
from medrec_ingest.transfers.schemas import CompleteIn, Declared, Reconciliation, TransferIn
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import Conflict, Forbidden, NotFound, ValidationFailed
from medrec_shared.rules.events import (
    MISSING_LISTED,
    InstitutionInfo,
    TransferCompleted,
    TransferOpened,
)

LISTED = 100  # external_ids named in a problem, at most
EFFECTIVE_AHEAD = timedelta(days=366)


class TransferClosed(Conflict):
    type, title = "transfer-closed", "The transfer no longer accepts records"


class TransferIncomplete(Conflict):
    type, title = "transfer-incomplete", "The transfer does not hold what was declared"


class DeclaredLinesMissing(Conflict):
    type, title = "declared-lines-missing", "Declared records are not stored"


def declared_json(declared: Declared | None) -> dict[str, Any] | None:
    return None if declared is None else declared.model_dump(mode="json", by_alias=True)


def declaration_of(transfer: Transfer, body: CompleteIn) -> Declared | None:
    """The declaration completion checks: the one it is given, else the one given at opening."""
    if body.declared is not None:
        return body.declared
    if transfer.declared is None:
        return None
    return Declared.model_validate(transfer.declared)


def lines_missing(reconciliation: Reconciliation) -> DeclaredLinesMissing:
    """The refusal of a completion that would leave declared lines out, and how to go on."""
    total = reconciliation.missing_total
    return DeclaredLinesMissing(
        f"{total} declared record(s) are not stored. Deposit them (fixing what was refused) and "
        "complete again, or complete with allow_missing=true to hand over without them: the "
        "receipt then lists them.",
        extra={
            "missing_total": total,
            "missing": reconciliation.missing[:LISTED],
            "reconciliation": reconciliation.model_dump(mode="json"),
        },
    )


def closed() -> TransferClosed:
    return TransferClosed("The transfer no longer accepts records.")


# -- who may see it, and write to it ------------------------------------------------------------
async def own_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Transfer:
    """The caller's own transfer, for an institution it still acts for; otherwise not found."""
    transfer = await TransferRepository(session).get_for_client(
        transfer_id, principal.subject, for_update=lock
    )
    return owned(transfer, principal)


def owned(transfer: Transfer | None, principal: Principal) -> Transfer:
    """`transfer` (read as the caller's) if it is for an institution the caller still acts for;
    otherwise not found."""
    if transfer is None or transfer.institution_code not in principal.institution_codes:
        raise NotFound("No such transfer.")
    return transfer


async def transfer_for_update(session: AsyncSession, transfer_id: uuid.UUID) -> Transfer | None:
    """Any client's transfer (for operators), its row locked until the caller's commit."""
    return await TransferRepository(session).get(transfer_id, for_update=True)


def writable(transfer: Transfer | None, principal: Principal) -> Transfer:
    """`owned`, and still taking records; `TransferClosed` after."""
    transfer = owned(transfer, principal)
    if transfer.status != TransferStatus.open:
        raise TransferClosed(f"The transfer is {transfer.status}.")
    return transfer


async def writable_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, principal: Principal
) -> Transfer:
    """The caller's own transfer while it still takes records; `TransferClosed` after."""
    return writable(await own_transfer(session, transfer_id, principal), principal)


async def count_if_open(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    *,
    received: int = 0,
    stored: int = 0,
    failed: int = 0,
    expired: int = 0,
    size: int = 0,
) -> bool:
    """Adds a deposit's records (received, stored, failed, expired on arrival, bytes) to the
    counts of a transfer still open; False (nothing changed) once it is not. One UPDATE, which
    locks the transfer's row until the caller's commit: a completion waits for the deposit, and
    a deposit after a completion sees the transfer closed."""
    return await TransferRepository(session).count_if_open(
        transfer_id, received=received, stored=stored, failed=failed, expired=expired, size=size
    )


# -- opening ------------------------------------------------------------------------------------
def effective_date_errors(effective_date: date, today: date) -> FieldErrors:
    """A closure or suspension takes effect at most a year ahead of today (in Korea)."""
    if effective_date > today + EFFECTIVE_AHEAD:
        return [error("effective_date", "must not be more than a year ahead")]
    return []


async def open_transfer(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    principal: Principal,
    body: TransferIn,
    now: datetime,
) -> Transfer:
    """A new open transfer of one of the caller's institutions, announced (TransferOpened)."""
    errors = effective_date_errors(body.effective_date, korean_date(now))
    if errors:
        raise ValidationFailed(errors=errors)
    if body.institution.code not in principal.institution_codes:
        raise Forbidden("This client is not registered for that institution code.")
    transfer = Transfer(
        transfer_id=new_id(),
        client_id=principal.subject,
        institution_code=body.institution.code,
        institution=body.institution.model_dump(exclude={"code"}),
        reason=body.reason,
        effective_date=body.effective_date,
        expected_records=body.expected_records,
        status=TransferStatus.open,
        record_count=None,
        received=0, stored=0, failed=0, expired_on_arrival=0, bytes=0, created_at=now,
        declared=declared_json(body.declared),
    )  # fmt: skip
    transfers = TransferRepository(session)
    await transfers.add(transfer)
    announce(
        session,
        settings.topic_transfer,
        transfer.transfer_id,
        TransferOpened(
            transfer_id=transfer.transfer_id,
            institution=InstitutionInfo(**body.institution.model_dump()),
            reason=body.reason,
            effective_date=body.effective_date,
        ),
    )
    await transfers.refresh(transfer)
    return transfer


# -- completion ---------------------------------------------------------------------------------
def already_completed(transfer: Transfer, record_count: int) -> bool:
    """Repeating the same completion answers as the first one did."""
    return transfer.status == TransferStatus.completed and transfer.record_count == record_count


def listed_ids(body: CompleteIn) -> list[str] | None:
    """The external_ids the depositor listed, sorted; they must be `record_count` distinct ids."""
    if body.external_ids is None:
        return None
    listed = sorted(set(body.external_ids))
    if len(listed) != body.record_count:
        raise ValidationFailed(
            errors=[{"field": "external_ids", "message": "must list record_count distinct ids"}]
        )
    return listed


def missing_of(listed: Sequence[str] | None, present: set[str]) -> list[str]:
    """The listed ids never received, in the order listed."""
    if listed is None:
        return []
    return [external_id for external_id in listed if external_id not in present]


def is_complete(record_count: int, tally: Tally, missing: Sequence[str]) -> bool:
    """As many records as declared, every one with its content in, none of the listed missing."""
    return tally.total == record_count and not tally.awaiting and not missing


def incomplete(
    record_count: int,
    tally: Tally,
    listed: Sequence[str] | None,
    missing: Sequence[str],
    awaiting: Sequence[str],
) -> TransferIncomplete:
    """The problem naming what is missing: records awaiting content and, when ids were listed,
    the ones never received (at most `LISTED` of each, with totals)."""
    extra: dict[str, object] = {
        "record_count": record_count,
        "received": tally.total,
        "stored": tally.total - tally.awaiting,
        "awaiting_content": list(awaiting),
        "awaiting_content_total": tally.awaiting,
    }
    if listed is not None:
        extra |= {"missing": list(missing[:LISTED]), "missing_total": len(missing)}
    return TransferIncomplete(
        f"{record_count} records declared; {tally.total} received, "
        f"{tally.awaiting} of them awaiting content"
        + (f"; {len(missing)} listed ids never received." if listed is not None else "."),
        extra=extra,
    )


async def complete_transfer(
    session: AsyncSession,
    *,
    settings: IngestSettings,
    transfer_id: uuid.UUID,
    principal: Principal,
    body: CompleteIn,
    now: datetime,
    allow_missing: bool = False,
) -> Transfer:
    """Completes the caller's transfer if it holds what `body` declares; `TransferIncomplete`
    naming what is missing otherwise. With a declaration (given now or at opening) the stored
    records are reconciled with it: declared lines not stored refuse the completion
    (`DeclaredLinesMissing`) unless `allow_missing`; the other differences are answered, kept
    and said on the receipt. A repeat of the same completion changes nothing."""
    # The lock waits for deposits in flight to commit, and holds off new ones until we are done.
    transfer = await own_transfer(session, transfer_id, principal, lock=True)
    if already_completed(transfer, body.record_count):
        return transfer
    if transfer.status != TransferStatus.open:
        raise TransferClosed(f"The transfer is {transfer.status}.")
    listed = listed_ids(body)

    transfers = TransferRepository(session)
    tally = await transfers.tally(transfer_id)
    missing: list[str] = []
    if listed is not None:
        missing = missing_of(listed, await transfers.present(transfer_id, listed))
    declared = declaration_of(transfer, body)
    lines = await transfers.stored_lines(transfer_id)
    reconciliation = None if declared is None else reconcile(declared, lines)
    allowed = allow_missing or body.allow_missing
    if reconciliation is not None and reconciliation.missing_total and not allowed:
        raise lines_missing(reconciliation)
    if not is_complete(body.record_count, tally, missing):
        awaiting = await transfers.awaiting_content(transfer_id, LISTED)
        raise incomplete(body.record_count, tally, listed, missing, awaiting)

    if body.declared is not None:
        transfer.declared = declared_json(body.declared)
    await transfers.complete(
        transfer,
        body.record_count,
        now,
        None if reconciliation is None else reconciliation.model_dump(mode="json"),
    )
    announce(
        session,
        settings.topic_transfer,
        transfer.transfer_id,
        completed_event(transfer, body.record_count, declared, reconciliation, lines, now),
    )
    return transfer


def completed_event(
    transfer: Transfer,
    record_count: int,
    declared: Declared | None,
    reconciliation: Reconciliation | None,
    lines: Sequence[StoredLine],
    now: datetime,
) -> TransferCompleted:
    """What TransferCompleted says, the 이관확인서's facts among it: the stored records by kind,
    the period (declared, else the stored records'), the manifest's digest and what is missing."""
    first, last = stored_period(lines)
    if declared is not None and declared.period is not None:
        first, last = declared.period.from_, declared.period.to
    return TransferCompleted(
        transfer_id=transfer.transfer_id,
        institution_code=transfer.institution_code,
        record_count=record_count,
        expired_on_arrival=transfer.expired_on_arrival,
        institution_name=transfer.institution.get("name"),
        counts=dict(Counter(line.kind for line in lines)),
        period_from=first,
        period_to=last,
        manifest_sha256=None if reconciliation is None else reconciliation.manifest_sha256,
        missing=0 if reconciliation is None else reconciliation.missing_total,
        missing_ids=[] if reconciliation is None else reconciliation.missing[:MISSING_LISTED],
        completed_at=now,
        client_id=transfer.client_id,
    )
