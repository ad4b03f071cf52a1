"""Catalog's rules without the stack: who may see a record, the one retention extension, the
directory's statuses, and the JSON shape of the paged lists."""

import uuid
from datetime import date

import pytest

from medrec_catalog.directory.schemas import InstitutionOut
from medrec_catalog.directory.service import status_on_transfer
from medrec_catalog.models import CatalogRecord, InstitutionStatus, RecordStatus
from medrec_catalog.records.schemas import InstitutionRef, MyRecord, MyRecords
from medrec_catalog.records.service import SHOWN, is_shown, shown, subject_key
from medrec_catalog.retention.service import AlreadyExtended, extend
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.pages import Page, page_of
from medrec_shared.platform.problems import Forbidden, NotFound

CHILD, GUARDIAN = "c" * 64, "g" * 64


def record(
    kind: str = "prescription", status: RecordStatus = RecordStatus.available
) -> CatalogRecord:
    return CatalogRecord(
        record_id=uuid.uuid4(),
        person_key=CHILD,
        institution_code="81000001",
        kind=kind,
        specialty="medical",
        title="처방전",
        department=None,
        service_start=date(2025, 11, 1),
        service_end=date(2025, 11, 3),
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        retention_until=date(2027, 11, 3),
        retention_extended=False,
        status=status,
    )


def test_a_citizens_records_are_their_own() -> None:
    citizen = Principal(subject="p-1", scopes=frozenset({"records:read"}), person_key=CHILD)
    assert subject_key(citizen) == CHILD


def test_a_guardian_token_sees_the_childs_records_not_the_guardians() -> None:
    guardian = Principal(
        subject="child",
        scopes=frozenset({"records:read"}),
        person_key=CHILD,
        actor="guardian",
        actor_person_key=GUARDIAN,
    )
    assert subject_key(guardian) == CHILD


def test_a_token_without_a_person_sees_no_ones_records() -> None:
    service = Principal(subject="c_1", scopes=frozenset({"records:read"}), client_id="c_1")
    with pytest.raises(Forbidden):
        subject_key(service)


def test_only_an_available_record_is_shown() -> None:
    assert SHOWN is RecordStatus.available
    assert is_shown(record())
    held = record()
    assert shown(held, "No such record.") is held
    for status in (RecordStatus.due, RecordStatus.withdrawn, RecordStatus.destroyed):
        assert not is_shown(record(status=status))
        with pytest.raises(NotFound):
            shown(record(status=status), "No such record.")
    with pytest.raises(NotFound):
        shown(None, "No such record.")


def test_one_extension_by_one_more_period_of_the_kind() -> None:
    held = record("certificate_copy")
    held.retention_until = date(2028, 11, 3)
    extend(held, "소송 진행 중 증거 보전 요청", "operator")
    assert held.retention_until == date(2031, 11, 3)
    assert held.retention_extended
    assert (held.extension_reason, held.extended_by) == ("소송 진행 중 증거 보전 요청", "operator")


def test_a_second_extension_is_a_conflict_and_changes_nothing() -> None:
    held = record()
    extend(held, "first", "operator")
    until = held.retention_until
    with pytest.raises(AlreadyExtended) as refused:
        extend(held, "second", "other")
    assert refused.value.status == 409
    assert (held.retention_until, held.extension_reason, held.extended_by) == (
        until,
        "first",
        "operator",
    )


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
    )
    assert '"status":"reopened"' in out.model_dump_json()
    assert InstitutionOut.model_validate_json(out.model_dump_json()) == out


def test_my_records_is_a_page_with_its_groups() -> None:
    item = MyRecord(
        record_id=uuid.UUID(int=1),
        institution=InstitutionRef(code="81000001", name=None),
        kind="prescription",
        specialty="medical",
        title="t",
        department=None,
        service_start=date(2025, 11, 1),
        service_end=date(2025, 11, 3),
        content_type="text/plain",
        size=1,
        retention_until=date(2027, 11, 3),
        status=RecordStatus.available,
    )
    body = MyRecords(items=[item], next_cursor=None, groups=[]).model_dump(mode="json")
    assert list(body) == ["items", "next_cursor", "groups"]
    assert body["items"][0]["status"] == "available"


def test_a_page_has_a_cursor_only_when_more_rows_were_found() -> None:
    def as_page(rows: list[int]) -> Page[int]:
        return page_of(rows, 2, lambda n: n, str)

    assert as_page([1, 2, 3]).model_dump() == {"items": [1, 2], "next_cursor": "2"}
    assert as_page([1, 2]).model_dump() == {"items": [1, 2], "next_cursor": None}
