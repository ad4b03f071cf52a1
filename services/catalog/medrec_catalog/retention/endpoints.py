"""Staff's retention actions (scope retention:manage): run the sweep now, extend a record's period
once. Each is in the audit trail under the person (or machine account) who did it."""

import uuid
from typing import Any

from fastapi import APIRouter

from medrec_catalog.deps import DbSession, RetentionDep, RetentionManager
from medrec_catalog.retention import service
from medrec_catalog.retention.schemas import ExtensionIn, ExtensionOut
from medrec_shared.rules.audit import staff_access
from medrec_shared.rules.staff_acts import announce_access, announce_act

router = APIRouter(tags=["retention (staff)"], prefix="/v1/admin")


@router.post("/retention/sweep")
async def run_sweep(
    session: DbSession, principal: RetentionManager, retention: RetentionDep
) -> dict[str, Any]:
    """Runs the retention sweep now (the worker also runs it on a schedule), with its
    retention_ending notices (`noticed`: how many were new)."""
    today = retention.today()
    due = await retention.sweep(session, today)
    noticed = await retention.notice_ending(session)
    topic = retention.settings.topic_audit
    announce_act(session, topic, principal, "retention.sweep", "retention", today.isoformat())
    return {"due": due, "noticed": noticed, "as_of": today}


@router.post("/records/{record_id}/retention-extension", response_model=ExtensionOut)
async def extend_retention(
    record_id: uuid.UUID,
    body: ExtensionIn,
    session: DbSession,
    principal: RetentionManager,
    retention: RetentionDep,
) -> ExtensionOut:
    """Extends a record's period once, by one more period of its kind: in the audit trail under
    the person, and in the record's owner's access history as 보관기관 운영자 (a record nobody
    is linked to yet has no history to show it in)."""
    record = await service.extend_retention(
        session, record_id, reason=body.reason, operator=principal.accountable
    )
    topic = retention.settings.topic_audit
    if record.person_key is not None:
        access = staff_access(
            principal,
            "platform",
            "retention_extension",
            "record",
            str(record_id),
            record.person_key,
            reason=body.reason,
        )
        announce_access(session, topic, access)
    announce_act(
        session,
        topic,
        principal,
        "record.extend_retention",
        "record",
        str(record_id),
        subject_key=record.person_key,
        reason=body.reason,
    )
    return ExtensionOut.model_validate(record, from_attributes=True)
