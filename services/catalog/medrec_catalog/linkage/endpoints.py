"""Operators' review of linkage candidates (API.md, catalog): the list (no personal data), one
candidate with both sides' demographics (an audited read), approve, reject, and unlink. The rules
are `linkage.service`; this parses, calls and answers, and writes the events the service returns
to the outbox in the request's transaction."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.deps import DbSession, Operator, OutboxDep, Settings
from medrec_catalog.linkage import service
from medrec_catalog.linkage.demographics import DemographicsSources, DemographicsUnavailable
from medrec_catalog.linkage.repository import CandidateRow, LinkageRepository
from medrec_catalog.linkage.schemas import (
    CandidateDetail,
    CandidateOut,
    DecisionIn,
    Demographics,
    UnlinkedOut,
)
from medrec_catalog.models import CandidateStatus
from medrec_catalog.records.schemas import InstitutionRef
from medrec_catalog.settings import CatalogSettings
from medrec_shared.contracts import PersonDemographics, RecordDemographics
from medrec_shared.logs import get_logger
from medrec_shared.messaging import Outbox
from medrec_shared.openapi import problem_responses
from medrec_shared.pages import Page, page_of
from medrec_shared.problems import NotFound
from medrec_shared.web import Now, from_state

router = APIRouter(tags=["linkage (operators)"], prefix="/v1/admin")
log = get_logger(__name__)
Limit = Annotated[int, Query(ge=1, le=500)]
DemographicsDep = Annotated[DemographicsSources, Depends(from_state("demographics"))]
DECIDED: dict[int | str, dict[str, Any]] = {
    409: {"description": "The candidate was decided already, or its record is gone"}
}


def candidate_out(row: CandidateRow) -> CandidateOut:
    candidate, code, name, kind, specialty, start, end = row
    return CandidateOut(
        candidate_id=candidate.candidate_id,
        record_id=candidate.record_id,
        person_id=candidate.person_id,
        institution=InstitutionRef(code=code or "", name=name),
        kind=kind,
        specialty=specialty,
        service_start=start,
        service_end=end,
        matched_on=candidate.matched_on,
        status=candidate.status,
        created_at=candidate.created_at,
        decided_at=candidate.decided_at,
    )


async def _one(session: AsyncSession, candidate_id: uuid.UUID) -> CandidateRow:
    rows = await LinkageRepository(session).listed(None, 1, None, candidate_id=candidate_id)
    if not rows:
        raise NotFound("No such linkage candidate.")
    return rows[0]


async def _announce(
    session: AsyncSession,
    outbox: Outbox,
    settings: CatalogSettings,
    announcements: list[service.Announcement],
) -> None:
    for a in announcements:
        await outbox.add(session, getattr(settings, a.topic), a.key, a.data)


@router.get("/linkage-candidates", response_model=Page[CandidateOut])
async def list_candidates(
    session: DbSession,
    _: Operator,
    status: CandidateStatus | None = None,
    limit: Limit = 50,
    cursor: uuid.UUID | None = None,
) -> Page[CandidateOut]:
    """Proposed links, oldest first; no names, birth dates or RRNs."""
    rows = await LinkageRepository(session).listed(status, limit + 1, cursor)
    return page_of(rows, limit, candidate_out, lambda row: str(row[0].candidate_id))


def _demographics(side: RecordDemographics | PersonDemographics | None) -> Demographics | None:
    if side is None:
        return None
    return Demographics(name=side.name, birth_date=side.birth_date, sex=side.sex)


@router.get(
    "/linkage-candidates/{candidate_id}",
    response_model=CandidateDetail,
    responses=problem_responses(DemographicsUnavailable),
)
async def show_candidate(
    candidate_id: uuid.UUID,
    session: DbSession,
    operator: Operator,
    outbox: OutboxDep,
    settings: Settings,
    demographics: DemographicsDep,
) -> CandidateDetail:
    """One candidate with the record's and the person's demographics side by side. The read is
    recorded in the person's access history (as "operator") and, by id, in catalog's log."""
    row = await _one(session, candidate_id)
    candidate = row[0]
    record_side = await demographics.of_record(candidate.record_id)
    person_side = await demographics.of_person(candidate.person_id)
    await _announce(session, outbox, settings, [service.viewed(candidate)])
    log.info("linkage_candidate_viewed", candidate_id=str(candidate_id), operator=operator.subject)
    return CandidateDetail(
        **candidate_out(row).model_dump(),
        record_demographics=_demographics(record_side),
        person_demographics=_demographics(person_side),
        reason=candidate.reason,
        unlinked_at=candidate.unlinked_at,
        unlink_reason=candidate.unlink_reason,
    )


@router.post(
    "/linkage-candidates/{candidate_id}/approve", response_model=CandidateOut, responses=DECIDED
)
async def approve_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    operator: Operator,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> CandidateOut:
    """Links the record to the person (listed for them, in their access history) and closes
    the record's other candidates. A decision is final: a second one answers 409."""
    _, announcements = await service.approve(
        LinkageRepository(session), candidate_id, body.reason, operator.subject, now
    )
    await _announce(session, outbox, settings, announcements)
    log.info("linkage_approved", candidate_id=str(candidate_id), operator=operator.subject)
    return candidate_out(await _one(session, candidate_id))


@router.post(
    "/linkage-candidates/{candidate_id}/reject", response_model=CandidateOut, responses=DECIDED
)
async def reject_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    operator: Operator,
    now: Now,
) -> CandidateOut:
    """Not this person's: the record stays unmatched. A decision is final (409 on a second)."""
    await service.reject(
        LinkageRepository(session), candidate_id, body.reason, operator.subject, now
    )
    log.info("linkage_rejected", candidate_id=str(candidate_id), operator=operator.subject)
    return candidate_out(await _one(session, candidate_id))


@router.post(
    "/records/{record_id}/unlink",
    response_model=UnlinkedOut,
    responses={409: {"description": "The record was not linked by a linkage decision"}},
)
async def unlink_record(
    record_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    operator: Operator,
    outbox: OutboxDep,
    settings: Settings,
    now: Now,
) -> UnlinkedOut:
    """Undoes a wrong link: the record is withdrawn from the person and unmatched again; the
    candidates its approval closed are pending again."""
    link, announcements = await service.unlink(
        LinkageRepository(session), record_id, body.reason, operator.subject, now
    )
    await _announce(session, outbox, settings, announcements)
    log.info("linkage_unlinked", record_id=str(record_id), operator=operator.subject)
    return UnlinkedOut(record_id=record_id, candidate_id=link.candidate_id, status=link.status)
