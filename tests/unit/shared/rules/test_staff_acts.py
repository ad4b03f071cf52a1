"""The rules every service holds its staff to, without a service: the scopes each role's token
carries (and a machine account's, as the API documents them), who may decide, two people for
what cannot be undone, a health centre held to its region, and how a citizen's history names a
staff act (보관기관 심사관, never the person)."""

import pytest

from medrec_portal.messages import actor_label
from medrec_shared.platform.openapi import CLIENT_SCOPES
from medrec_shared.rules.audit import staff_access, staff_acted
from medrec_shared.rules.regions import region_code, spellings
from medrec_shared.rules.staff import (
    MACHINE_SCOPES,
    ROLE_SCOPES,
    TWO_PERSON_SCOPES,
    region_limit,
)
from medrec_shared.rules.staff_acts import (
    PersonRequired,
    SamePerson,
    deciding_person,
    second_approval,
)
from tests.support.principals import machine, staff


def test_no_role_and_no_machine_account_holds_a_blanket_admin_scope() -> None:
    assert all("admin" not in scopes for scopes in ROLE_SCOPES.values())
    assert "admin" not in MACHINE_SCOPES and "admin" not in CLIENT_SCOPES


def test_a_machine_accounts_scopes_are_documented_and_none_decides_for_a_person() -> None:
    assert set(MACHINE_SCOPES) <= set(CLIENT_SCOPES)
    assert not MACHINE_SCOPES & TWO_PERSON_SCOPES


def test_only_a_person_decides_and_a_second_one_confirms() -> None:
    assert deciding_person(staff("kim")).login == "kim"
    with pytest.raises(PersonRequired):
        deciding_person(machine())
    assert second_approval(None, staff("kim")) is False  # a proposal
    assert second_approval("kim", staff("lee")) is True  # a confirmation
    with pytest.raises(SamePerson):
        second_approval("kim", staff("kim"))
    with pytest.raises(PersonRequired):
        second_approval("kim", machine())


def test_a_health_centre_is_held_to_its_region_and_platform_staff_to_none() -> None:
    assert region_limit({"health_centre"}, "seoul") == "seoul"
    assert region_limit({"health_centre", "platform"}, "seoul") is None
    assert region_limit({"platform"}, None) is None


def test_the_audit_trail_names_the_person_and_the_history_names_the_role() -> None:
    kim = staff("kim")
    acted = staff_acted(kim, "proxy_request.view", "proxy_request", "r-1", subject_key="p" * 64)
    assert (acted.actor, acted.actor_kind, acted.organisation) == ("kim", "staff", "khis")
    assert acted.roles == ["reviewer"]
    by_machine = staff_acted(machine("medrec-admin"), "dead_letter.retry", "dead_letter", "7")
    assert (by_machine.actor, by_machine.actor_kind) == ("medrec-admin", "machine")
    seen = staff_access(kim, "reviewer", "view", "proxy_request", "r-1", "p" * 64)
    assert (seen.actor_type, seen.actor_id) == ("staff", "khis:reviewer")
    assert "kim" not in seen.model_dump_json()
    assert actor_label(seen.actor_type, seen.actor_id) == "보관기관 심사관"
    centre = staff_access(
        staff("choi", "health_centre", organisation="hc:seoul"), "health_centre", "view", "t", "1",
        "p" * 64,
    )  # fmt: skip
    assert actor_label(centre.actor_type, centre.actor_id) == "보건소(seoul) 보건소 담당자"
    assert actor_label("citizen", "person-1") == "본인"


def test_a_region_is_its_code_and_every_name_institutions_write_for_it() -> None:
    assert region_code("서울") == region_code("서울특별시") == region_code("11") == "11"
    assert region_code("42") == region_code("강원도") == "51"  # a former code, a former name
    assert region_code("아틀란티스") is None
    assert {"11", "서울", "서울특별시"} <= spellings("서울")
    assert not spellings("11") & spellings("26")
    assert spellings("아틀란티스") == {"아틀란티스"}
