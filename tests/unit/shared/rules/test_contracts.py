"""Calls between services: a 404 is "not held" (None), any other failure raises, and the shared
answers read the JSON the serving routes write (`medrec_shared.rules.contracts`).

These tests come from tests/unit/test_service_contracts.py, split by domain."""

import uuid
from datetime import date

from medrec_shared.rules.contracts import CatalogedRecord, InstitutionRef, RecordSummary


def test_catalogs_record_reads_back_as_written() -> None:
    day = date(2026, 3, 2)
    summary = RecordSummary(
        record_id=uuid.uuid4(),
        institution=InstitutionRef(code="12345678", name=None),
        kind="medical_record",
        specialty="medical",
        title="경과기록",
        department=None,
        service_start=day,
        service_end=day,
        content_type="application/pdf",
        size=10,
        retention_until=day,
        status="available",
    )
    written = CatalogedRecord(**summary.model_dump(), person_key=None, sha256="0" * 64)
    read = CatalogedRecord.model_validate_json(written.model_dump_json())
    assert read == written
    assert read.person_key is None and read.institution.name is None
