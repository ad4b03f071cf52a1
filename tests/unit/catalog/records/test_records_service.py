"""Catalog's rules without the stack: who may see a record, the one retention extension, the
directory's statuses, and the JSON shape of the paged lists."""

import uuid
from datetime import date

import pytest

from medrec_catalog.models import RecordStatus
from medrec_catalog.records.schemas import InstitutionRef, MyRecord, MyRecords
from medrec_catalog.records.service import SHOWN, is_shown, shown, subject_key
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.problems import Forbidden, NotFound
from tests.support.builders import CHILD, GUARDIAN, record


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
