"""The calendar deposits are judged by: dates in Korea (Asia/Seoul, UTC+9 all year)."""

from datetime import UTC, date, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def today() -> date:
    """Today in Korea: a service date "in the future" is one after this."""
    return datetime.now(UTC).astimezone(KST).date()
