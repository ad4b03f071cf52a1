"""Calls between services: a 404 is "not held" (None), any other failure raises, and the shared
answers read the JSON the serving routes write (`medrec_shared.rules.contracts`)."""

import uuid
from datetime import date

import httpx
import pytest

from medrec_shared.platform.http import unless_missing
from medrec_shared.rules.contracts import CatalogedRecord, InstitutionRef, RecordSummary

REQUEST = httpx.Request("GET", "http://catalog/internal/v1/records/x")


def answer(status: int, body: bytes = b"{}") -> httpx.Response:
    return httpx.Response(status, content=body, request=REQUEST)


def test_a_404_is_not_held_and_any_other_failure_raises() -> None:
    assert unless_missing(answer(404)) is None
    found = answer(200)
    assert unless_missing(found) is found
    for status in (401, 403, 500, 503):
        with pytest.raises(httpx.HTTPStatusError):
            unless_missing(answer(status))


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
