"""The public directory of closed and suspended institutions whose records are held."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_catalog.deps import DbSession
from medrec_catalog.repositories import InstitutionRepository
from medrec_catalog.schemas import InstitutionOut, institution_out
from medrec_shared.problems import NotFound

router = APIRouter(tags=["institutions"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/v1/institutions")
async def search_institutions(
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=100, description="any part of the Korean name")
    ] = None,
    region: Annotated[str | None, Query(max_length=50)] = None,
    type: Annotated[str | None, Query(max_length=50)] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
) -> dict[str, Any]:
    rows = await InstitutionRepository(session).search(q, region, type, limit + 1, cursor)
    page = rows[:limit]
    return {
        "items": [institution_out(i, n) for i, n in page],
        "next_cursor": page[-1][0].code if len(rows) > limit else None,
    }


@router.get("/v1/institutions/{code}", response_model=InstitutionOut)
async def get_institution(code: str, session: DbSession) -> InstitutionOut:
    found = await InstitutionRepository(session).get(code)
    if found is None:
        raise NotFound("No such institution among those whose records are held.")
    return institution_out(*found)
