"""Whose transfers a member of staff oversees: a health centre's person their region's (by its
code), platform staff and the machine account every region's, and a health centre's account
without a region none at all (refused rather than shown everything)."""

import pytest

from medrec_ingest.transfers.admin import _held_to
from medrec_shared.platform.problems import Forbidden
from tests.support.principals import machine, staff


def test_a_health_centre_is_held_to_its_region_and_the_service_to_none() -> None:
    assert _held_to(staff("choi", "health_centre", organisation="hc:11", region="11")) == "11"
    assert _held_to(staff("park", "platform")) is None
    assert _held_to(staff("kim", "health_centre", "platform", region="11")) is None
    assert _held_to(machine()) is None


def test_a_health_centres_account_without_a_region_oversees_nothing() -> None:
    with pytest.raises(Forbidden):
        _held_to(staff("lee", "health_centre", organisation="hc:11"))
