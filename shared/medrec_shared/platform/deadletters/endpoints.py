"""The operators' routes of a consuming service: list parked events, ask for one's retry (the
worker runs it, `retry.py`; the answer is 202 and the entry shows the outcome)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Row, Table

from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.db import DbSession
from medrec_shared.platform.deadletters.repository import DeadLetterRepository
from medrec_shared.platform.deadletters.schemas import DeadLetterOut
from medrec_shared.platform.deadletters.table import DeadLetterStatus
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Conflict, NotFound

Operator = Annotated[Principal, require_scope("admin")]
EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NotParked(Conflict):
    type, title = "not-parked", "Only a parked event can be retried"


def _out(row: Row[Any]) -> DeadLetterOut:
    return DeadLetterOut(
        **{k: v for k, v in row._mapping.items() if k not in ("kafka_partition", "kafka_offset")},
        partition=row.kafka_partition,
        offset=row.kafka_offset,
    )


def dead_letter_router(table: Table) -> APIRouter:
    router = APIRouter(tags=["dead letters (operators)"], prefix="/v1/admin/dead-letters")

    def entries(session: DbSession) -> DeadLetterRepository:
        return DeadLetterRepository(session, table)

    Entries = Annotated[DeadLetterRepository, Depends(entries)]

    @router.get("", response_model=Page[DeadLetterOut])
    async def list_dead_letters(
        found: Entries,
        _: Operator,
        status: DeadLetterStatus = DeadLetterStatus.parked,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    ) -> Page[DeadLetterOut]:
        """Events this service's worker could not apply, oldest first."""
        rows = await found.page(status, limit + 1, cursor)
        return page_of(rows, limit, _out, lambda row: str(row.id))

    @router.post("/{entry_id}/retry", status_code=202, response_model=DeadLetterOut)
    async def retry_dead_letter(found: Entries, _: Operator, entry_id: EntryId) -> DeadLetterOut:
        """Asks the worker to run the event's handler once more (after its cause is fixed):
        applied, it becomes `retried`; failing, it is `parked` again with the new error."""
        row = await found.request_retry(entry_id)
        if row is None:
            if await found.get(entry_id) is None:
                raise NotFound("No such dead letter.")
            raise NotParked("It is being retried, or was retried already.")
        return _out(row)

    return router
