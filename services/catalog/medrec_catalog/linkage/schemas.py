"""What reviewers send and get back about linkage candidates. The list carries no name, birth
date or RRN; only one candidate's detail shows the demographics, and that read is audited."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from medrec_catalog.linkage.repository import CandidateRow
from medrec_catalog.models import CandidateStatus
from medrec_catalog.records.schemas import InstitutionRef
from medrec_shared.rules.events import REVIEW_REASON_MAX


class DecisionIn(BaseModel):
    reason: str = Field(
        min_length=1, max_length=REVIEW_REASON_MAX, description="Why; kept with the decision"
    )


class CandidateOut(BaseModel):
    candidate_id: uuid.UUID
    record_id: uuid.UUID
    person_id: uuid.UUID
    institution: InstitutionRef
    kind: str | None
    specialty: str | None
    service_start: date | None
    service_end: date | None
    matched_on: str = Field(description="name+birth_date+sex, or name+birth_date for a record "
                            "whose sex is unknown")  # fmt: skip
    status: CandidateStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None = Field(default=None, description="The reviewer who decided (login)")
    proposed_by: str | None = Field(
        default=None,
        description="The reviewer whose approval awaits another's confirmation (two people "
        "link a record)",
    )
    proposed_at: datetime | None = None


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
        decided_by=candidate.decided_by,
        proposed_by=candidate.proposed_by,
        proposed_at=candidate.proposed_at,
    )


class Demographics(BaseModel):
    name: str
    birth_date: date
    sex: str


class CandidateDetail(CandidateOut):
    record_demographics: Demographics | None = Field(
        description="As deposited with the record (null: ingest no longer holds it)"
    )
    person_demographics: Demographics | None = Field(
        description="As the person verified (null: identity no longer knows them)"
    )
    reason: str | None
    unlinked_at: datetime | None
    unlink_reason: str | None


class UnlinkedOut(BaseModel):
    record_id: uuid.UUID
    candidate_id: uuid.UUID
    status: CandidateStatus
