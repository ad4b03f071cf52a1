"""The demographics of records, for an operator's review: the name, birth date and sex an
operator compares in catalog's linkage review (one record deposited without an RRN beside a
person; scope demographics:read), and the name alone in issuance's Art. 21 review (the records
held under the RRN a requester typed, beside the name they typed; scope names:read). Every read
is recorded, in the read's own transaction, in the owner's access history with the calling client
and the purpose it gave."""

import json
import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from medrec_ingest.deposit.service import PATIENT_CONTEXT, record_by_id, stored_records
from medrec_ingest.deps import (
    DbSession,
    DemographicsReader,
    NamesReader,
    Settings,
    VaultDep,
)
from medrec_ingest.internal import record_read
from medrec_ingest.models import Record
from medrec_ingest.records.rules import is_stored
from medrec_shared.platform.crypto import Keyring, unseal
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.audit import Purpose
from medrec_shared.rules.contracts import NamesList, RecordDemographics, RecordName

router = APIRouter(tags=["internal"], prefix="/internal/v1")
log = get_logger(__name__)


def _demographics(keyring: Keyring, record: Record) -> RecordDemographics:
    patient = json.loads(unseal(keyring, record.patient_sealed, context=PATIENT_CONTEXT))
    return RecordDemographics(
        record_id=record.record_id,
        name=patient["name"],
        birth_date=record.birth_date,
        sex=record.sex,
    )


@router.get("/records/{record_id}/demographics", response_model=RecordDemographics)
async def record_demographics(
    record_id: uuid.UUID,
    purpose: Purpose,
    session: DbSession,
    vault: VaultDep,
    caller: DemographicsReader,
    settings: Settings,
) -> RecordDemographics:
    """Only for a stored record that came without an RRN (linkage reviews those alone)."""
    record = await record_by_id(session, record_id)
    if not is_stored(record) or record.match_key is None:
        raise NotFound("No such record without an RRN.")
    record_read(
        session,
        settings=settings,
        client_id=caller.subject,
        record=record,
        resource_type="record_demographics",
        purpose=purpose,
    )
    log.info("demographics_read", record_id=str(record_id), caller=caller.subject)
    return _demographics(vault.keyring, record)


class NamesQuery(BaseModel):
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    purpose: Purpose


@router.post("/records:names", response_model=NamesList)
async def records_names(
    query: NamesQuery,
    session: DbSession,
    vault: VaultDep,
    caller: NamesReader,
    settings: Settings,
) -> NamesList:
    """The name several stored records were deposited under, with or without an RRN, for
    issuance's Art. 21 review, which compares it with the name a requester typed (scope
    names:read: the name alone, and nothing of identity's persons). Records not held, or not
    stored, are left out."""
    records = await stored_records(session, query.record_ids)
    for record in records:
        record_read(
            session,
            settings=settings,
            client_id=caller.subject,
            record=record,
            resource_type="record_demographics",
            purpose=query.purpose,
        )
    log.info("names_read", records=len(records), caller=caller.subject)
    return NamesList(
        items=[
            RecordName(record_id=r.record_id, name=_demographics(vault.keyring, r).name)
            for r in records
        ]
    )
