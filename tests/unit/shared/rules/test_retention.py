"""Tests from tests/unit/test_small_rules.py, split by domain."""

from datetime import date

import pytest

from medrec_shared.rules.retention import RETENTION_YEARS, retention_until


@pytest.mark.parametrize(
    ("kind", "years"),
    [
        ("patient_register", 5),
        ("medical_record", 10),
        ("prescription", 2),
        ("surgery_record", 10),
        ("test_record", 5),
        ("radiology", 5),
        ("nursing_record", 5),
        ("midwifery_record", 5),
        ("certificate_copy", 3),
    ],
)
def test_retention_periods_follow_the_enforcement_rule(kind: str, years: int) -> None:
    assert RETENTION_YEARS[kind] == years
    assert retention_until(kind, date(2020, 6, 15)) == date(2020 + years, 6, 15)


def test_a_period_ending_on_29_february_ends_on_28_february_in_a_common_year() -> None:
    assert retention_until("prescription", date(2024, 2, 29)) == date(2026, 2, 28)
