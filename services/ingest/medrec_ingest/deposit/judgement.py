"""The deposit judgement, pure: a deposit under an external_id already held is an unchanged
repeat or a conflict, and a stored record may arrive already past its retention period. `today`
is the caller's (the service's clock, in Korea): nothing here reads a clock."""

from datetime import date

from medrec_ingest.deposit.repository import OwnedRecord
from medrec_ingest.deposit.schemas import BatchStatus
from medrec_ingest.models import Record
from medrec_shared.rules.retention import retention_until


def judge(existing: OwnedRecord, candidate_fingerprint: str, client_id: str) -> BatchStatus:
    """A repeat by the same client of the same record changes nothing; anything else under a
    taken external_id (other content, or another client's record) is a conflict."""
    if existing.client_id == client_id and existing.record.fingerprint == candidate_fingerprint:
        return BatchStatus.unchanged
    return BatchStatus.conflict


def expired_on_arrival(record: Record, today: date) -> bool:
    """Past its retention period already: accepted, counted, and destroyed by the next sweep."""
    return retention_until(record.kind, record.service_end) < today
