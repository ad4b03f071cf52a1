"""Reviewers' review of linkage candidates (API.md, catalog; scope linkage:review): the list (no
personal data), one candidate with both sides' demographics (an audited read), approve (one
reviewer proposes, another confirms), reject, and unlink. The rules and the review are
`linkage.service`; this parses, calls and answers."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from medrec_catalog.deps import DbSession, LinkageReviewDep, LinkageReviewer
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

router = APIRouter(tags=["linkage (reviewers)"], prefix="/v1/admin")
log = get_logger(__name__)
Limit = Annotated[int, Query(ge=1, le=500)]
DECIDED: dict[int | str, dict[str, Any]] = {
    403: {"description": "A machine account, or a token without linkage:review"},
    409: {
        "description": "The candidate was decided already, its record is gone, or the reviewer "
        "who proposed the link approves it again (another must)"
    },
}


@router.get("/linkage-candidates", response_model=Page[CandidateOut])
async def list_candidates(
    session: DbSession,
    _: LinkageReviewer,
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
    candidate_id: uuid.UUID,
    session: DbSession,
    reviewer: LinkageReviewer,
    review: LinkageReviewDep,
) -> CandidateDetail:
    """One candidate with the record's and the person's demographics side by side. The read is
    recorded in the person's access history (as 보관기관 심사관) and in the audit trail (who)."""
    detail = await review.show(session, candidate_id, reviewer)
    log.info("linkage_candidate_viewed", candidate_id=str(candidate_id))
    return detail


@router.post(
    "/linkage-candidates/{candidate_id}/approve", response_model=CandidateOut, responses=DECIDED
)
async def approve_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    reviewer: LinkageReviewer,
    review: LinkageReviewDep,
    now: Now,
) -> CandidateOut:
    """The first reviewer's approval proposes the link (still `pending`, `proposed_by` them);
    a different reviewer's confirms it: the record is linked to the person (listed for them, in
    their access history) and its other candidates are closed. The proposer approving again
    answers 409, a machine account 403. A decision is final: a second one answers 409."""
    decided = await review.approve(session, candidate_id, reason=body.reason, by=reviewer, now=now)
    log.info("linkage_approval", candidate_id=str(candidate_id), status=decided.status)
    return decided


@router.post(
    "/linkage-candidates/{candidate_id}/reject", response_model=CandidateOut, responses=DECIDED
)
async def reject_candidate(
    candidate_id: uuid.UUID,
    body: DecisionIn,
    session: DbSession,
    reviewer: LinkageReviewer,
    review: LinkageReviewDep,
    now: Now,
) -> CandidateOut:
    """Not this person's: the record stays unmatched (one reviewer decides it, and a proposal to
    link ends). A decision is final (409 on a second)."""
    decided = await review.reject(session, candidate_id, reason=body.reason, by=reviewer, now=now)
    log.info("linkage_rejected", candidate_id=str(candidate_id))
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
    reviewer: LinkageReviewer,
    review: LinkageReviewDep,
    now: Now,
) -> UnlinkedOut:
    """Undoes a wrong link: the record is withdrawn from the person and unmatched again; the
    candidates its approval closed are pending again."""
    unlinked = await review.unlink(session, record_id, reason=body.reason, by=reviewer, now=now)
    log.info("linkage_unlinked", record_id=str(record_id))
    return unlinked
