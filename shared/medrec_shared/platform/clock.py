"""The clock port: what "now" is for expiry, retention and the guardianship rule. Tests move it
through a file (`MEDREC_<SERVICE>_CLOCK_FILE`, local stack only) instead of sleeping.

Token `iat`/`exp` are deliberately not taken from this clock: every service checks them against
its own real clock, so they stay wall-clock time."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
"""Korea's time zone, defined once (the guardianship rule's `SEOUL` is this). The tz database's
Asia/Seoul rather than a fixed +09:00: the rules are about the civil day in Seoul ("stops working
at midnight in Seoul"), and the tz database is what follows Korea's civil time if the law changes
it (as for daylight saving in 1987-88). Both give +09:00 for every instant since October 1988.
The images ship tzdata (deploy/images/build-base.sh) and the lock has the tzdata package."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """Stands still at the RFC 3339 instant written in `path`; the real clock while the file is
    missing or empty. Read at each call, so a test moves time by rewriting the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            text = ""
        if not text:
            return datetime.now(UTC)
        instant = datetime.fromisoformat(text)
        if instant.tzinfo is None:
            raise ValueError("the clock file must hold an instant with an offset")
        return instant


_process_clock: Clock = SystemClock()


def build_clock(clock_file: Path | None) -> Clock:
    """The service's clock; also installed as the process's clock for `korean_today`."""
    global _process_clock  # one clock per process, by design
    _process_clock = FileClock(clock_file) if clock_file is not None else SystemClock()
    return _process_clock


def korean_today() -> date:
    """Today in Korea by the process's clock (the one `build_clock` made), for the few checks
    that cannot be handed a clock: pydantic field validators of request bodies that FastAPI
    parses (an RRN born "in the future"). Everything else takes its service's clock."""
    return korean_date(_process_clock.now())


def korean_date(instant: datetime) -> date:
    """The calendar day in Seoul at that instant, the one "day in Korea" every rule uses (dates in
    records, retention, the guardianship rule's day). The instant must carry a time zone: a naive
    one would be read in the machine's zone."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")
    return instant.astimezone(KST).date()
