"""Catalog's HTTP API: the public institution directory, a person's own records and access
history, service reads and operator statistics."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from medrec_catalog.deps import CatalogReader, Citizen, DbSession, Operator, OutboxDep, Settings
from medrec_catalog.models import CatalogRecord, Institution
from medrec_catalog.repositories import AccessLogRepository, InstitutionRepository, RecordRepository
from medrec_shared.audit import access_event
from medrec_shared.problems import NotFound, Unauthorized

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=500)]


class InstitutionOut(BaseModel):
    code: str
    name: str
    type: str
    region: str
    address: str
    status: str
    closed_on: date
    record_count: int


class InstitutionRef(BaseModel):
    code: str
    name: str | None


class MyRecord(BaseModel):
    record_id: uuid.UUID
    institution: InstitutionRef
    kind: str
    specialty: str
    title: str
    department: str | None
    service_start: date
    service_end: date
    content_type: str
    size: int
    retention_until: date
    status: str


class AccessLogOut(BaseModel):
    event_id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str
    acting_for: str | None
    action: str
    resource_type: str
    resource_id: str
    decision: str
    reason: str | None


def institution_out(institution: Institution, count: int) -> InstitutionOut:
    return InstitutionOut(
        code=institution.code, name=institution.name, type=institution.type,
        region=institution.region, address=institution.address, status=institution.status,
        closed_on=institution.closed_on, record_count=count,
    )  # fmt: skip


@router.get("/v1/institutions", tags=["institutions"])
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


@router.get("/v1/institutions/{code}", tags=["institutions"], response_model=InstitutionOut)
async def get_institution(code: str, session: DbSession) -> InstitutionOut:
    found = await InstitutionRepository(session).get(code)
    if found is None:
        raise NotFound("No such institution among those whose records are held.")
    return institution_out(*found)


def my_record(record: CatalogRecord, institution: Institution | None) -> MyRecord:
    return MyRecord(
        record_id=record.record_id,
        institution=InstitutionRef(
            code=record.institution_code, name=institution.name if institution else None
        ),
        kind=record.kind, specialty=record.specialty, title=record.title,
        department=record.department, service_start=record.service_start,
        service_end=record.service_end, content_type=record.content_type, size=record.size,
        retention_until=record.retention_until, status=record.status,
    )  # fmt: skip


@router.get("/v1/me/records", tags=["me"])
async def my_records(
    session: DbSession,
    principal: Citizen,
    outbox: OutboxDep,
    settings: Settings,
    institution: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    specialty: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 50,
    cursor: uuid.UUID | None = None,
) -> dict[str, Any]:
    if principal.person_key is None:
        raise Unauthorized("A citizen token is required.")
    rows = await RecordRepository(session).for_person(
        principal.person_key, institution=institution, kind=kind, specialty=specialty,
        limit=limit + 1, after=cursor,
    )  # fmt: skip
    page = rows[:limit]
    await outbox.add(
        session, settings.topic_audit, principal.person_key,
        access_event(principal, "list", "records", f"{len(page)} records"),
    )  # fmt: skip
    return {
        "items": [my_record(r, i) for r, i in page],
        "next_cursor": str(page[-1][0].record_id) if len(rows) > limit else None,
    }


@router.get("/v1/me/access-log", tags=["me"])
async def my_access_log(
    session: DbSession, principal: Citizen, limit: Limit = 50, cursor: uuid.UUID | None = None
) -> dict[str, Any]:
    if principal.person_key is None:
        raise Unauthorized("A citizen token is required.")
    rows = await AccessLogRepository(session).for_subject(principal.person_key, limit + 1, cursor)
    page = rows[:limit]
    return {
        "items": [AccessLogOut.model_validate(e, from_attributes=True) for e in page],
        "next_cursor": str(page[-1].event_id) if len(rows) > limit else None,
    }


@router.get("/internal/v1/records/{record_id}", tags=["internal"])
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


@router.get("/v1/admin/stats", tags=["admin"])
async def stats(session: DbSession, _: Operator) -> dict[str, int]:
    counts = await RecordRepository(session).counts()
    return {
        "institutions": await InstitutionRepository(session).count(),
        "records": counts.get("available", 0),
        "persons": counts["persons"],
        "destroyed": counts.get("destroyed", 0),
    }
