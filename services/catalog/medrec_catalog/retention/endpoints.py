"""Operators' retention actions: run the sweep now, extend a record's period once."""

import uuid
from typing import Any

from fastapi import APIRouter

from medrec_catalog.deps import DbSession, Operator, RetentionDep
from medrec_catalog.retention import service
from medrec_catalog.retention.schemas import ExtensionIn, ExtensionOut

router = APIRouter(tags=["retention (operators)"], prefix="/v1/admin")


@router.post("/retention/sweep")
async def run_sweep(session: DbSession, _: Operator, retention: RetentionDep) -> dict[str, Any]:
    """Runs the retention sweep now (the worker also runs it on a schedule)."""
    today = retention.today()
    return {"due": await retention.sweep(session, today), "as_of": today}


@router.post("/records/{record_id}/retention-extension", response_model=ExtensionOut)
async def extend_retention(
    record_id: uuid.UUID, body: ExtensionIn, session: DbSession, operator: Operator
) -> ExtensionOut:
    """Extends a record's period once, by one more period of its kind."""
    record = await service.extend_retention(
        session, record_id, reason=body.reason, operator=operator.subject
    )
    return ExtensionOut.model_validate(record, from_attributes=True)
