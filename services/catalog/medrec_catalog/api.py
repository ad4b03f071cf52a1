"""Catalog's HTTP API: the public institution directory, a person's own records and access
history, service reads and operator statistics."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from medrec_catalog.deps import CatalogReader, Citizen, DbSession, Operator, OutboxDep, Settings
from medrec_catalog.models import CatalogRecord, Institution
from medrec_catalog.repositories import (
    AccessLogRepository,
    InstitutionRepository,
    RecordCursor,
    RecordFilter,
    RecordRepository,
)
from medrec_shared.audit import access_event
from medrec_shared.auth import Principal
from medrec_shared.problems import Forbidden, NotFound, ValidationFailed
from medrec_shared.records import RecordKind, Specialty

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


def subject_key(principal: Principal) -> str:
    """The person whose records these are: the citizen, or the child a guardian acts for."""
    if principal.person_key is None:
        raise Forbidden("This needs a citizen's token.")
    return principal.person_key


def institution_out(institution: Institution, count: int) -> InstitutionOut:
    return InstitutionOut(
        code=institution.code,
        name=institution.name,
        type=institution.type,
        region=institution.region,
        address=institution.address,
        status=institution.status,
        closed_on=institution.closed_on,
        record_count=count,
    )


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
        kind=record.kind,
        specialty=record.specialty,
        title=record.title,
        department=record.department,
        service_start=record.service_start,
        service_end=record.service_end,
        content_type=record.content_type,
        size=record.size,
        retention_until=record.retention_until,
        status=record.status,
    )


class RecordGroup(BaseModel):
    institution: InstitutionRef
    specialty: str
    count: int
    first_service: date
    last_service: date


class MyRecords(BaseModel):
    items: list[MyRecord]
    next_cursor: str | None
    groups: list[RecordGroup] = Field(
        description="Everything held for the person under these filters, by institution and "
        "specialty, most recent care first (not only this page)."
    )


def _cursor(value: str | None) -> RecordCursor | None:
    if value is None:
        return None
    try:
        return RecordCursor.decode(value)
    except ValueError:
        raise ValidationFailed(
            errors=[{"field": "cursor", "message": "not a cursor from a previous page"}]
        ) from None


@router.get("/v1/me/records", tags=["me"], response_model=MyRecords)
async def my_records(
    session: DbSession,
    principal: Citizen,
    outbox: OutboxDep,
    settings: Settings,
    institution: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    kind: Annotated[RecordKind | None, Query()] = None,
    specialty: Annotated[Specialty | None, Query()] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> MyRecords:
    """The subject's records (their own, or their child's for a guardian), newest care first.
    Withdrawn and destroyed records are not listed."""
    person_key = subject_key(principal)
    after = _cursor(cursor)
    filters = RecordFilter(
        institution, kind.value if kind else None, specialty.value if specialty else None
    )
    records = RecordRepository(session)
    rows = await records.for_person(person_key, filters, limit + 1, after)
    page = rows[:limit]
    groups = await records.summary_for_person(person_key, filters)
    await outbox.add(
        session,
        settings.topic_audit,
        person_key,
        access_event(principal, "list", "records", f"{len(page)} records"),
    )
    last = page[-1][0] if page else None
    return MyRecords(
        items=[my_record(r, i) for r, i in page],
        next_cursor=RecordCursor(last.service_end, last.record_id).encode()
        if last and len(rows) > limit
        else None,
        groups=[
            RecordGroup(
                institution=InstitutionRef(code=code, name=name),
                specialty=specialty_,
                count=count,
                first_service=first,
                last_service=last_,
            )
            for code, name, specialty_, count, first, last_ in groups
        ],
    )


@router.get("/v1/me/access-log", tags=["me"])
async def my_access_log(
    session: DbSession, principal: Citizen, limit: Limit = 50, cursor: uuid.UUID | None = None
) -> dict[str, Any]:
    rows = await AccessLogRepository(session).for_subject(subject_key(principal), limit + 1, cursor)
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
