"""The public directory of every closed and suspended institution known, with who holds its
records; and staff's custody form (scope closures:manage)."""

from typing import Annotated

from fastapi import APIRouter, Query

from medrec_catalog.deps import Catalog, ClosuresManager, DbSession
from medrec_catalog.directory import service
from medrec_catalog.directory.custody import set_custody
from medrec_catalog.directory.schemas import CustodyIn, InstitutionOut, institution_out
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.rules.custody import CustodyStatus

router = APIRouter(tags=["institutions"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/v1/institutions", response_model=Page[InstitutionOut])
async def search_institutions(
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="any part of the Korean name")
    ] = None,
    region: Annotated[str | None, Query(max_length=50)] = None,
    type: Annotated[str | None, Query(max_length=50)] = None,
    custody: Annotated[
        CustodyStatus | None, Query(description="only the institutions with this custody shown")
    ] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
) -> Page[InstitutionOut]:
    rows = await service.search(session, q, region, type, limit + 1, cursor, custody)
    return page_of(rows, limit, lambda row: institution_out(*row), lambda row: row[0].code)


@router.get("/v1/institutions/{code}", response_model=InstitutionOut)
async def get_institution(code: str, session: DbSession) -> InstitutionOut:
    return institution_out(*await service.institution(session, code))


@router.put(
    "/v1/admin/institutions/{code}/custody",
    response_model=InstitutionOut,
    tags=["institutions (staff)"],
)
async def put_custody(
    code: str, body: CustodyIn, session: DbSession, principal: ClosuresManager, c: Catalog
) -> InstitutionOut:
    """Sets who holds a clinic's records and how to ask (founder, health_centre) or says nobody
    knows (unknown). A health centre's staff: their own region's clinics only (403 otherwise)."""
    found = await set_custody(
        session,
        code,
        body,
        principal=principal,
        now=c.clock.now(),
        topic=c.settings.topic_audit,
    )
    return institution_out(*found)
