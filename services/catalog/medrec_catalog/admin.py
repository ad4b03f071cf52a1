"""Staff views: the service's counts (scope stats:read; no personal data)."""

from fastapi import APIRouter

from medrec_catalog.deps import DbSession, StatsReader
from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.linkage.repository import LinkageRepository
from medrec_catalog.models import RecordStatus
from medrec_catalog.records.repository import RecordRepository

router = APIRouter(tags=["staff"])


@router.get("/v1/admin/stats")
async def stats(session: DbSession, _: StatsReader) -> dict[str, int]:
    counts = await RecordRepository(session).counts()
    unmatched, pending = await LinkageRepository(session).counts()
    return {
        "institutions": await InstitutionRepository(session).count(),
        "records": counts.get(RecordStatus.available, 0),
        "persons": counts["persons"],
        "destroyed": counts.get(RecordStatus.destroyed, 0),
        # records without an RRN that nobody is linked to yet, and links awaiting a decision
        "unmatched_records": unmatched,
        "pending_candidates": pending,
    }
