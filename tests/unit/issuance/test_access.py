"""issuance's rules without the stack: who may see or copy what (medrec_issuance.access), when a
copy may be downloaded, what the public check calls authentic, and how an operator reviews an
Art. 21 request (each once, with the documents its relation needs)."""

import pytest
from sqlalchemy.dialects import postgresql

from medrec_issuance.access import (
    RequesterKey,
    may_copy_record,
    may_see_issuance,
    may_see_proxy_request,
)
from medrec_issuance.models import (
    EnumText,
    IssuanceStatus,
)
from tests.support.copies import (
    CHILD,
    GUARDIAN,
    STRANGER,
    cataloged,
    citizen,
    issuance,
    proxy_request,
)

# --- who may see or copy what ---------------------------------------------------------------


def test_a_citizen_may_copy_only_their_own_records() -> None:
    me = citizen(CHILD)
    assert may_copy_record(me, cataloged("key-person-child"))
    assert not may_copy_record(me, cataloged("key-person-stranger"))
    assert not may_copy_record(me, None), "a record catalog does not know is nobody's"


def test_without_a_person_key_no_record_may_be_copied() -> None:
    service_token = citizen("client-x", person_key=None)
    assert not may_copy_record(service_token, cataloged(None))


def test_a_guardian_copies_the_childs_records_under_the_childs_key() -> None:
    acting = citizen(CHILD, actor=GUARDIAN, person_key="key-person-child")
    assert may_copy_record(acting, cataloged("key-person-child"))


def test_only_the_requester_sees_an_issuance() -> None:
    mine = issuance(CHILD)
    assert may_see_issuance(citizen(CHILD), mine)
    assert not may_see_issuance(citizen(STRANGER), mine)
    assert not may_see_issuance(citizen(CHILD), None)


def test_a_guardians_request_is_not_the_childs_and_the_childs_is_not_the_guardians() -> None:
    by_guardian = issuance(CHILD, actor=GUARDIAN)
    own = issuance(CHILD)
    assert may_see_issuance(citizen(CHILD, actor=GUARDIAN), by_guardian)
    assert not may_see_issuance(citizen(CHILD), by_guardian)
    assert not may_see_issuance(citizen(CHILD, actor=GUARDIAN), own)
    assert not may_see_issuance(citizen(CHILD, actor="person-other-guardian"), by_guardian)


def test_the_list_is_filtered_by_the_same_requester_key() -> None:
    acting = citizen(CHILD, actor=GUARDIAN)
    assert RequesterKey.of(acting) == RequesterKey(CHILD, GUARDIAN)
    assert RequesterKey.of(citizen(CHILD)) == RequesterKey(CHILD, None)


def test_only_the_submitter_acting_for_themselves_sees_a_proxy_request() -> None:
    request = proxy_request()
    assert may_see_proxy_request(citizen("person-spouse"), request)
    assert not may_see_proxy_request(citizen("person-patient"), request)
    assert not may_see_proxy_request(citizen("person-spouse", actor=GUARDIAN), request)
    assert not may_see_proxy_request(citizen("person-spouse"), None)


# --- the vocabulary in the database ---------------------------------------------------------


def test_statuses_are_stored_as_their_values_and_read_back_as_members() -> None:
    column = EnumText(IssuanceStatus, 16)
    dialect = postgresql.dialect()
    assert column.process_bind_param(IssuanceStatus.purged, dialect) == "purged"
    assert column.process_bind_param("ready", dialect) == "ready"
    read = column.process_result_value("ready", dialect)
    assert read is IssuanceStatus.ready
    assert column.process_result_value(None, dialect) is None
    with pytest.raises(ValueError):
        column.process_bind_param("expired", dialect)
