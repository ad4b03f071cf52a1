"""Catalog's rules without the stack: who may see a record, the one retention extension, the
directory's statuses, and the JSON shape of the paged lists."""

from datetime import date

import pytest

from medrec_catalog.retention.service import AlreadyExtended, extend
from tests.support.builders import record


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
