"""Operators' destruction endpoints: run the release sweep now, read an institution's log."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_ingest.deps import DbSession, DestructionsDep, Operator
from medrec_ingest.destruction.repository import DestructionRepository
from medrec_ingest.destruction.schemas import DestructionOut
from medrec_ingest.models import Destruction
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.web import Now

router = APIRouter(tags=["destruction (operators)"], prefix="/v1/admin")


@router.post("/releases/sweep")
async def run_release_sweep(destructions: DestructionsDep, _: Operator, now: Now) -> dict[str, Any]:
    """Destroys now what the worker's scheduled run would: released records past their grace."""
    return {"destroyed": await destructions.destroy_unreclaimed(now), "as_of": now}


def _out(entry: Destruction) -> DestructionOut:
    return DestructionOut.model_validate(entry, from_attributes=True)


@router.get("/destructions", response_model=Page[DestructionOut])
async def list_destructions(
    session: DbSession,
    _: Operator,
    institution: Annotated[str, Query(pattern=r"^\d{8}$", description="Institution code")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[DestructionOut]:
    """The destruction log of one institution."""
    rows = await DestructionRepository(session).for_institution(institution, limit + 1, cursor)
    return page_of(rows, limit, _out, lambda entry: str(entry.record_id))
