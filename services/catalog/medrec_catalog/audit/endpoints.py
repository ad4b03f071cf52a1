"""The audit trail for auditors (scope audit:read): every staff act and staff read of personal
data, from every service, searchable by the person who acted, the act, the resource, and whose
data it was. Reading it is itself an act in it."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from medrec_catalog.audit.repository import AuditQuery, StaffAuditRepository
from medrec_catalog.audit.schemas import AuditEntryOut, audit_out
from medrec_catalog.deps import Auditor, Catalog, DbSession
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.rules.staff_acts import announce_act

router = APIRouter(tags=["audit (auditors)"], prefix="/v1/admin")
Key = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/audit", response_model=Page[AuditEntryOut])
async def search_audit(
    session: DbSession,
    auditor: Auditor,
    catalog: Catalog,
    actor: Key = None,
    act: Key = None,
    resource_id: Key = None,
    subject: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="The person key whose data it was"),
    ] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: uuid.UUID | None = None,
) -> Page[AuditEntryOut]:
    """Newest first. `since` inclusive, `until` exclusive."""
    wanted = AuditQuery(
        actor=actor, act=act, resource_id=resource_id, subject=subject, since=since, until=until
    )
    rows = await StaffAuditRepository(session).search(wanted, limit + 1, cursor)
    # Who searched for whom is itself audited (the search names no one in the answer).
    announce_act(
        session,
        catalog.settings.topic_audit,
        auditor,
        "audit.search",
        "audit",
        actor or resource_id or "*",
        subject_key=subject,
    )
    return page_of(rows, limit, audit_out, lambda entry: str(entry.event_id))
