"""Staff's destruction endpoints: run the release sweep now (sweeps:run, an act in the audit
trail), read an institution's log (destructions:read; no personal data in it)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_ingest.deps import (
    DbSession,
    DestructionsDep,
    DestructionsReader,
    Settings,
    SweepRunner,
    TransactionsDep,
)
from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.destruction.schemas import DestructionOut
from medrec_ingest.models import Destruction
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.web import Now
from medrec_shared.rules.staff_acts import announce_act

router = APIRouter(tags=["destruction (staff)"], prefix="/v1/admin")


@router.post("/releases/sweep")
async def run_release_sweep(
    destructions: DestructionsDep,
    runner: SweepRunner,
    transactions: TransactionsDep,
    settings: Settings,
    now: Now,
) -> dict[str, Any]:
    """Destroys now what the worker's scheduled run would: released records past their grace."""
    destroyed = await destructions.destroy_unreclaimed(now)
    async with transactions.begin() as session:
        topic, as_of = settings.topic_audit, now.isoformat()
        announce_act(session, topic, runner, "release.sweep", "sweep", as_of[:64])
    return {"destroyed": destroyed, "as_of": now}


def _out(entry: Destruction) -> DestructionOut:
    return DestructionOut.model_validate(entry, from_attributes=True)


@router.get("/destructions", response_model=Page[DestructionOut])
async def list_destructions(
    session: DbSession,
    _: DestructionsReader,
    institution: Annotated[
        str | None, Query(pattern=r"^\d{8}$", description="Institution code")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[DestructionOut]:
    """The destruction log, of one institution when `institution` is given (the console's 파기
    lists it whole)."""
    rows = await DestructionRepository(session).log_page(institution, limit + 1, cursor)
    return page_of(rows, limit, _out, lambda entry: str(entry.record_id))
