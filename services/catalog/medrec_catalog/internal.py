"""Reads for other services (scope catalog:read): record metadata with its owner's key."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from medrec_catalog.deps import CatalogReader, DbSession
from medrec_catalog.repositories import InstitutionRepository, RecordFilter, RecordRepository
from medrec_catalog.schemas import my_record
from medrec_shared.problems import NotFound

router = APIRouter(tags=["internal"], prefix="/internal/v1")
MAX_PERSON_RECORDS = 500


@router.get("/records/{record_id}")
async def internal_record(
    record_id: uuid.UUID, session: DbSession, _: CatalogReader
) -> dict[str, Any]:
    record = await RecordRepository(session).get(record_id)
    if record is None or record.status != "available":
        raise NotFound("No such record.")
    institution = await InstitutionRepository(session).get(record.institution_code)
    return {
        **my_record(record, institution[0] if institution else None).model_dump(mode="json"),
        "person_key": record.person_key,
        "sha256": record.sha256,
    }


@router.get("/persons/{person_key}/records")
async def person_records(
    person_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    session: DbSession,
    _: CatalogReader,
    institution: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
) -> dict[str, Any]:
    """A person's available records, by keyed hash: for copies an operator approved on a
    relative's or proxy's request (Art. 21)."""
    rows = await RecordRepository(session).for_person(
        person_key, RecordFilter(institution=institution), MAX_PERSON_RECORDS, None
    )
    return {"items": [my_record(r, i).model_dump(mode="json") for r, i in rows]}
