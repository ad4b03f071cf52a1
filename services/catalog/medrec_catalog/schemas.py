"""What catalog answers: institutions, a person's records and their access history."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from medrec_catalog.models import CatalogRecord, Institution


class InstitutionOut(BaseModel):
    code: str
    name: str
    type: str
    region: str
    address: str
    status: str = Field(
        description="closed, suspended, or reopened (a suspended institution that reopened and "
        "took its records back)"
    )
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
