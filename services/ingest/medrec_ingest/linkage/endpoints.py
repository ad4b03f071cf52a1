"""The demographics of a record deposited without an RRN, for catalog's linkage review (scope
demographics:read): the name, birth date and sex an operator compares with a person's. Each read
is logged here by record and caller (ids only); catalog records the operator's act in the
person's access history."""

import json
import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from medrec_ingest.deposit.repository import RecordRepository
from medrec_ingest.deposit.service import PATIENT_CONTEXT
from medrec_ingest.deps import DbSession, DemographicsReader, VaultDep
from medrec_ingest.models import RecordStatus
from medrec_shared.crypto import unseal
from medrec_shared.logs import get_logger
from medrec_shared.problems import NotFound

router = APIRouter(tags=["internal"], prefix="/internal/v1")
log = get_logger(__name__)


class RecordDemographics(BaseModel):
    record_id: uuid.UUID
    name: str
    birth_date: date
    sex: str


@router.get("/records/{record_id}/demographics", response_model=RecordDemographics)
async def record_demographics(
    record_id: uuid.UUID, session: DbSession, vault: VaultDep, caller: DemographicsReader
) -> RecordDemographics:
    """Only for a stored record that came without an RRN (a record with one is never reviewed)."""
    record = await RecordRepository(session).get(record_id)
    if record is None or record.status != RecordStatus.stored or record.match_key is None:
        raise NotFound("No such record without an RRN.")
    patient = json.loads(unseal(vault.keyring, record.patient_sealed, context=PATIENT_CONTEXT))
    log.info("demographics_read", record_id=str(record_id), caller=caller.subject)
    return RecordDemographics(
        record_id=record_id, name=patient["name"], birth_date=record.birth_date, sex=record.sex
    )
