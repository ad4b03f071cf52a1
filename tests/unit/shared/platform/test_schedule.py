"""A scheduled job's period: a multiple of its length since the epoch, whatever the instant's zone,
so every replica reading the same clock names the same period."""

from datetime import UTC, datetime, timedelta

from medrec_shared.platform.clock import KST
from medrec_shared.platform.schedule import period_start


def test_a_period_starts_at_a_multiple_of_its_length() -> None:
    instant = datetime(2026, 12, 7, 22, 41, 13, 500, tzinfo=UTC)
    assert period_start(instant, 3600) == datetime(2026, 12, 7, 22, tzinfo=UTC)
    assert period_start(instant, 300) == datetime(2026, 12, 7, 22, 40, tzinfo=UTC)
    assert period_start(instant.astimezone(KST), 3600) == datetime(2026, 12, 7, 22, tzinfo=UTC)


def test_the_next_period_starts_one_length_later() -> None:
    instant = datetime(2026, 12, 7, 22, 59, 59, tzinfo=UTC)
    later = instant + timedelta(seconds=1)
    assert period_start(later, 3600) - period_start(instant, 3600) == timedelta(hours=1)
    assert period_start(later, 3600) == later
