"""A person's access history (or, for a guardian, their own acts in their child's): what the
caller may read is decided in `access_log.service`."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from medrec_catalog.access_log.schemas import AccessLogOut
from medrec_catalog.access_log.service import access_log_of
from medrec_catalog.deps import Citizen, DbSession
from medrec_shared.platform.pages import Page, page_of

router = APIRouter(tags=["me"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/v1/me/access-log", response_model=Page[AccessLogOut])
async def my_access_log(
    session: DbSession, principal: Citizen, limit: Limit = 50, cursor: uuid.UUID | None = None
) -> Page[AccessLogOut]:
    """Who did what with the subject's records, newest first. A guardian acting for a child
    sees only their own acts on the child's records, not the child's own nor anyone else's."""
    rows = await access_log_of(session, principal, limit + 1, cursor)
    return page_of(
        rows,
        limit,
        lambda entry: AccessLogOut.model_validate(entry, from_attributes=True),
        lambda entry: str(entry.event_id),
    )
