"""Whose 이관 요청 a staff person sees: a health centre its own region only (whatever it asks
for), platform staff any region or all, a health centre without a region nothing; and who asks
(a guardian acting for a child asks as themselves, and is the one told)."""

import pytest

from medrec_catalog.transfer_requests.service import asker_key, regions_seen
from medrec_shared.platform.auth import Principal, StaffMember
from medrec_shared.platform.problems import Forbidden
from medrec_shared.rules.regions import spellings


def person(*roles: str, region: str | None = None) -> Principal:
    member = StaffMember("a1", "kim", "hc:11" if region else "khis", frozenset(roles), region)
    return Principal(subject="staff:a1", scopes=frozenset(), staff=member)


def test_a_health_centre_sees_its_own_region_whatever_it_asks() -> None:
    seoul = person("health_centre", region="11")
    assert regions_seen(seoul, None) == spellings("11")
    assert regions_seen(seoul, "서울") == spellings("11")
    assert regions_seen(seoul, "26") == frozenset()  # another region's: nothing


def test_platform_staff_see_what_they_ask_or_all() -> None:
    platform = person("platform")
    assert regions_seen(platform, None) is None
    assert regions_seen(platform, "부산") == spellings("26")
    assert regions_seen(person("platform", "health_centre", region="11"), None) is None


def test_a_health_centre_without_a_region_sees_nothing() -> None:
    with pytest.raises(Forbidden):
        regions_seen(person("health_centre"), None)


def test_a_guardian_acting_for_a_child_asks_as_themselves() -> None:
    """The guardian asked, so the guardian is told (they read their own notices)."""
    child = Principal(subject="c", scopes=frozenset(), person_key="child-key", actor="g",
                      actor_person_key="guardian-key")  # fmt: skip
    assert asker_key(child) == "guardian-key"
    assert asker_key(Principal(subject="p", scopes=frozenset(), person_key="own")) == "own"
    with pytest.raises(Forbidden):
        asker_key(person("platform"))
