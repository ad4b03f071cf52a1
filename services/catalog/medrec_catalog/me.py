"""A person's own records and access history (or their child's, for a guardian)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_catalog.deps import Citizen, DbSession, OutboxDep, Settings
from medrec_catalog.repositories import (
    AccessLogRepository,
    RecordCursor,
    RecordFilter,
    RecordRepository,
)
from medrec_catalog.schemas import (
    AccessLogOut,
    InstitutionRef,
    MyRecords,
    RecordGroup,
    my_record,
)
from medrec_shared.audit import access_event
from medrec_shared.auth import Principal
from medrec_shared.problems import Forbidden, ValidationFailed
from medrec_shared.records import RecordKind, Specialty

router = APIRouter(tags=["me"])
Limit = Annotated[int, Query(ge=1, le=500)]


def subject_key(principal: Principal) -> str:
    """The person whose records these are: the citizen, or the child a guardian acts for."""
    if principal.person_key is None:
        raise Forbidden("This needs a citizen's token.")
    return principal.person_key


def _cursor(value: str | None) -> RecordCursor | None:
    if value is None:
        return None
    try:
        return RecordCursor.decode(value)
    except ValueError:
        raise ValidationFailed(
            errors=[{"field": "cursor", "message": "not a cursor from a previous page"}]
        ) from None


@router.get("/v1/me/records", response_model=MyRecords)
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


@router.get("/v1/me/access-log")
async def my_access_log(
    session: DbSession, principal: Citizen, limit: Limit = 50, cursor: uuid.UUID | None = None
) -> dict[str, Any]:
    rows = await AccessLogRepository(session).for_subject(subject_key(principal), limit + 1, cursor)
    page = rows[:limit]
    return {
        "items": [AccessLogOut.model_validate(e, from_attributes=True) for e in page],
        "next_cursor": str(page[-1].event_id) if len(rows) > limit else None,
    }
