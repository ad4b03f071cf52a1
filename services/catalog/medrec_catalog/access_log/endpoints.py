"""A person's access history (or their child's, for a guardian): whose it is is decided where
every record access is, in `records.service`."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from medrec_catalog.access_log.repository import AccessLogRepository
from medrec_catalog.access_log.schemas import AccessLogOut
from medrec_catalog.deps import Citizen, DbSession
from medrec_catalog.records.service import subject_key
from medrec_shared.pages import Page, page_of

router = APIRouter(tags=["me"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/v1/me/access-log", response_model=Page[AccessLogOut])
async def my_access_log(
    session: DbSession, principal: Citizen, limit: Limit = 50, cursor: uuid.UUID | None = None
) -> Page[AccessLogOut]:
    rows = await AccessLogRepository(session).for_subject(subject_key(principal), limit + 1, cursor)
    return page_of(
        rows,
        limit,
        lambda entry: AccessLogOut.model_validate(entry, from_attributes=True),
        lambda entry: str(entry.event_id),
    )
