"""Catalog's rules without the stack: who may see a record, the one retention extension, the
directory's statuses, and the JSON shape of the paged lists."""

from datetime import date

from medrec_catalog.directory.schemas import CustodyOut, InstitutionOut
from medrec_catalog.directory.service import status_on_transfer
from medrec_catalog.models import InstitutionStatus
from medrec_shared.rules.custody import CustodyStatus


def test_a_closure_closes_the_institution_and_anything_else_suspends_it() -> None:
    assert status_on_transfer("closure") is InstitutionStatus.closed
    assert status_on_transfer("suspension") is InstitutionStatus.suspended


def test_statuses_are_written_as_their_plain_values() -> None:
    out = InstitutionOut(
        code="81000001",
        name="오래된의원",
        type="의원",
        region="강원",
        address="-",
        status=InstitutionStatus.reopened,
        closed_on=date(2025, 1, 1),
        record_count=0,
        custody=CustodyOut(status=CustodyStatus.unknown, label="미확인"),
    )
    assert '"status":"reopened"' in out.model_dump_json()
    assert InstitutionOut.model_validate_json(out.model_dump_json()) == out
