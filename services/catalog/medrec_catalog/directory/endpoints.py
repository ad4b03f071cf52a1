"""The public directory of closed and suspended institutions whose records are held."""

from typing import Annotated

from fastapi import APIRouter, Query

from medrec_catalog.deps import DbSession
from medrec_catalog.directory import service
from medrec_catalog.directory.schemas import InstitutionOut, institution_out
from medrec_shared.platform.pages import Page, page_of

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
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
) -> Page[InstitutionOut]:
    rows = await service.search(session, q, region, type, limit + 1, cursor)
    return page_of(rows, limit, lambda row: institution_out(*row), lambda row: row[0].code)


@router.get("/v1/institutions/{code}", response_model=InstitutionOut)
async def get_institution(code: str, session: DbSession) -> InstitutionOut:
    return institution_out(*await service.institution(session, code))
