"""What catalog answers about a person's records."""

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_shared.platform.pages import Page
from medrec_shared.rules.contracts import InstitutionRef, RecordSummary


class MyRecord(RecordSummary):
    """The shared contract's record (what issuance reads), its status one of catalog's."""

    status: RecordStatus


class RecordGroup(BaseModel):
    institution: InstitutionRef
    specialty: str
    count: int
    first_service: date
    last_service: date


class MyRecords(Page[MyRecord]):
    groups: list[RecordGroup] = Field(
        description="Everything held for the person under these filters, by institution and "
        "specialty, most recent care first (not only this page)."
    )


class MyRecordsSummary(BaseModel):
    """Everything held for the subject, by institution and specialty (no filter): what a page
    offers to choose from, without listing the records."""

    groups: list[RecordGroup]


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


def listed_record(row: Any) -> MyRecord:
    """A row of `RecordRepository.listed_for_person`: the columns of `repository.LISTED`, then
    the institution's name."""
    (record_id, code, kind, specialty, title, department, service_start, service_end,
     content_type, size, retention_until, status, name) = row  # fmt: skip
    return MyRecord(
        record_id=record_id,
        institution=InstitutionRef(code=code, name=name),
        kind=kind,
        specialty=specialty,
        title=title,
        department=department,
        service_start=service_start,
        service_end=service_end,
        content_type=content_type,
        size=size,
        retention_until=retention_until,
        status=status,
    )
