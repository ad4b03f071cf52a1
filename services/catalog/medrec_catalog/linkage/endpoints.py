"""Operators' review of linkage candidates (API.md, catalog): the list (no personal data), one
candidate with both sides' demographics (an audited read), approve, reject, and unlink. The rules
and the review are `linkage.service`; this parses, calls and answers."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_catalog.deps import DbSession, LinkageReviewDep, Operator
from medrec_catalog.linkage.demographics import DemographicsUnavailable
from medrec_catalog.linkage.repository import LinkageRepository
from medrec_catalog.linkage.schemas import (
    CandidateDetail,
    CandidateOut,
    DecisionIn,
    UnlinkedOut,
    candidate_out,
)
from medrec_catalog.models import CandidateStatus
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.web import Now

router = APIRouter(tags=["linkage (operators)"], prefix="/v1/admin")
log = get_logger(__name__)
Limit = Annotated[int, Query(ge=1, le=500)]
DECIDED: dict[int | str, dict[str, Any]] = {
    409: {"description": "The candidate was decided already, or its record is gone"}
}


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


@router.get(
    "/linkage-candidates/{candidate_id}",
    response_model=CandidateDetail,
    responses=problem_responses(DemographicsUnavailable),
)
async def show_candidate(
    candidate_id: uuid.UUID, session: DbSession, operator: Operator, review: LinkageReviewDep
) -> CandidateDetail:
    """One candidate with the record's and the person's demographics side by side. The read is
    recorded in the person's access history (as "operator") and, by id, in catalog's log."""
    detail = await review.show(session, candidate_id)
    log.info("linkage_candidate_viewed", candidate_id=str(candidate_id), operator=operator.subject)
    return detail


@router.post(
    "/linkage-candidates/{candidate_id}/approve", response_model=CandidateOut, responses=DECIDED
)
async def approve_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    operator: Operator,
    review: LinkageReviewDep,
    now: Now,
) -> CandidateOut:
    """Links the record to the person (listed for them, in their access history) and closes
    the record's other candidates. A decision is final: a second one answers 409."""
    decided = await review.approve(
        session, candidate_id, reason=body.reason, operator=operator.subject, now=now
    )
    log.info("linkage_approved", candidate_id=str(candidate_id), operator=operator.subject)
    return decided


@router.post(
    "/linkage-candidates/{candidate_id}/reject", response_model=CandidateOut, responses=DECIDED
)
async def reject_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    operator: Operator,
    review: LinkageReviewDep,
    now: Now,
) -> CandidateOut:
    """Not this person's: the record stays unmatched. A decision is final (409 on a second)."""
    decided = await review.reject(
        session, candidate_id, reason=body.reason, operator=operator.subject, now=now
    )
    log.info("linkage_rejected", candidate_id=str(candidate_id), operator=operator.subject)
    return decided


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
    review: LinkageReviewDep,
    now: Now,
) -> UnlinkedOut:
    """Undoes a wrong link: the record is withdrawn from the person and unmatched again; the
    candidates its approval closed are pending again."""
    unlinked = await review.unlink(
        session, record_id, reason=body.reason, operator=operator.subject, now=now
    )
    log.info("linkage_unlinked", record_id=str(record_id), operator=operator.subject)
    return unlinked
