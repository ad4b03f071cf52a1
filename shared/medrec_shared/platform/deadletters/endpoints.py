"""The operators' routes of a consuming service: list parked events, ask for one's retry (the
worker runs it, `retry.py`; the answer is 202 and the entry shows the outcome).

The platform knows no staff roles: each service's composition passes the scope these routes
require (medrec_shared.rules.staff.DEAD_LETTERS_MANAGE) and what to record of a retry asked for
(its audit trail entry), so the rules stay out of the platform."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Row, Table
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.db import DbSession
from medrec_shared.platform.deadletters.repository import DeadLetterRepository
from medrec_shared.platform.deadletters.schemas import DeadLetterOut
from medrec_shared.platform.deadletters.table import DeadLetterStatus
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Conflict, NotFound

EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NotParked(Conflict):
    type, title = "not-parked", "Only a parked event can be retried"


def _out(row: Row[Any]) -> DeadLetterOut:
    return DeadLetterOut(
        **{k: v for k, v in row._mapping.items() if k not in ("kafka_partition", "kafka_offset")},
        partition=row.kafka_partition,
        offset=row.kafka_offset,
    )


RetryAsked = Callable[[AsyncSession, Principal, int], None]
"""Told of a retry asked for, in the request's unit of work: (session, caller, entry id)."""


def dead_letter_router(
    table: Table, *, scope: str, on_retry: RetryAsked | None = None
) -> APIRouter:
    """The routes over `table`, each requiring `scope`."""
    router = APIRouter(tags=["dead letters (operators)"], prefix="/v1/admin/dead-letters")
    Operator = Annotated[Principal, require_scope(scope)]

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
    async def retry_dead_letter(
        found: Entries, session: DbSession, operator: Operator, entry_id: EntryId
    ) -> DeadLetterOut:
        """Asks the worker to run the event's handler once more (after its cause is fixed):
        applied, it becomes `retried`; failing, it is `parked` again with the new error."""
        row = await found.request_retry(entry_id)
        if row is None:
            if await found.get(entry_id) is None:
                raise NotFound("No such dead letter.")
            raise NotParked("It is being retried, or was retried already.")
        if on_retry is not None:
            on_retry(session, operator, entry_id)
        return _out(row)

    return router
