"""Operators' segment endpoint: compact and sweep now what the worker's scheduled run would."""

from typing import Any

from fastapi import APIRouter

from medrec_ingest.deps import Operator, Settings, TransactionsDep, VaultDep
from medrec_ingest.segments.service import tidy

router = APIRouter(tags=["destruction (operators)"], prefix="/v1/admin")


@router.post("/segments/sweep")
async def run_segment_sweep(
    transactions: TransactionsDep, _: Operator, vault: VaultDep, settings: Settings
) -> dict[str, Any]:
    """Compacts the segments whose live records fill less than `segment_live_share` of them,
    then deletes the segments nothing points into any more (their records all destroyed)."""
    tidied = await tidy(transactions, vault, settings.segment_live_share)
    return {"compacted": tidied.compacted, "deleted": tidied.deleted}
