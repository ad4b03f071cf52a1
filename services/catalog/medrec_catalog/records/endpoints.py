"""A person's own records (or their child's, for a guardian); and, for other services (scope
catalog:read), record metadata with its owner's key. Who may see what: `records.service`."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from medrec_catalog.deps import CatalogReader, Citizen, DbSession, RecordsDep
from medrec_catalog.records import service
from medrec_catalog.records.repository import RecordFilter
from medrec_catalog.records.schemas import MyRecords, MyRecordsSummary, my_record
from medrec_shared.rules.contracts import CatalogedRecord, RecordSummaries, RecordSummary
from medrec_shared.rules.records import RecordKind, Specialty

router = APIRouter(tags=["me"])
internal_router = APIRouter(tags=["internal"], prefix="/internal/v1")
Limit = Annotated[int, Query(ge=1, le=500)]
MAX_PERSON_RECORDS = 500


@router.get("/v1/me/records/summary", response_model=MyRecordsSummary)
async def my_records_summary(
    session: DbSession, principal: Citizen, records: RecordsDep
) -> MyRecordsSummary:
    """What is held for the subject, by institution and specialty (count, first and last day of
    care), without any filter or record: for a page's choice of institution. Not recorded in the
    access history (the records' list is)."""
    return await records.summary_for(session, principal)


@router.get("/v1/me/records", response_model=MyRecords)
async def my_records(
    session: DbSession,
    principal: Citizen,
    records: RecordsDep,
    institution: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    kind: Annotated[RecordKind | None, Query()] = None,
    specialty: Annotated[Specialty | None, Query()] = None,
    service_from: Annotated[
        date | None, Query(alias="from", description="care on or after this day (YYYY-MM-DD)")
    ] = None,
    service_to: Annotated[
        date | None, Query(alias="to", description="care on or before this day (YYYY-MM-DD)")
    ] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> MyRecords:
    """The subject's records (their own, or their child's for a guardian), newest care first.
    Withdrawn and destroyed records are not listed. `from` and `to` keep the records whose
    service overlaps that period (either may be left out)."""
    filters = RecordFilter(
        institution,
        kind.value if kind else None,
        specialty.value if specialty else None,
        service_from,
        service_to,
    )
    return await records.list_for(session, principal, filters=filters, limit=limit, cursor=cursor)


@internal_router.get("/records/{record_id}", response_model=CatalogedRecord)
async def internal_record(
    record_id: uuid.UUID, session: DbSession, _: CatalogReader
) -> CatalogedRecord:
    record, institution = await service.record_for_service(session, record_id)
    return CatalogedRecord(
        **my_record(record, institution).model_dump(),
        person_key=record.person_key,
        sha256=record.sha256,
    )


@internal_router.get("/persons/{person_key}/records", response_model=RecordSummaries)
async def person_records(
    person_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    session: DbSession,
    _: CatalogReader,
    institution: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
) -> RecordSummaries:
    """A person's available records, by keyed hash: for copies an operator approved on a
    relative's or proxy's request (Art. 21)."""
    rows = await service.records_of(
        session,
        person_key,
        filters=RecordFilter(institution=institution),
        limit=MAX_PERSON_RECORDS,
        after=None,
    )
    items: list[RecordSummary] = [my_record(r, i) for r, i in rows]
    return RecordSummaries(items=items)
