"""Staff's segment endpoint (sweeps:run): compact and sweep now what the worker's scheduled run
would; an act in the audit trail."""

from typing import Any

from fastapi import APIRouter

from medrec_ingest.deps import Settings, SweepRunner, TransactionsDep, VaultDep
from medrec_ingest.segments.service import tidy
from medrec_shared.platform.web import Now
from medrec_shared.rules.staff_acts import announce_act

router = APIRouter(tags=["destruction (staff)"], prefix="/v1/admin")


@router.post("/segments/sweep")
async def run_segment_sweep(
    transactions: TransactionsDep,
    runner: SweepRunner,
    vault: VaultDep,
    settings: Settings,
    now: Now,
) -> dict[str, Any]:
    """Compacts the segments whose live records fill less than `segment_live_share` of them,
    then deletes the segments nothing points into any more (their records all destroyed), and
    the objects no row points at, older than `orphan_grace_seconds` (a crash left them)."""
    tidied = await tidy(
        transactions, vault, settings.segment_live_share, settings.orphan_grace_seconds
    )
    async with transactions.begin() as session:
        topic, as_of = settings.topic_audit, now.isoformat()
        announce_act(session, topic, runner, "segments.sweep", "sweep", as_of[:64])
    return {"compacted": tidied.compacted, "deleted": tidied.deleted, "orphans": tidied.orphans}
