"""The clock port: what "now" is for verification expiry, rate-limit windows and the guardianship
rule. Tests move it through a file (`MEDREC_IDENTITY_CLOCK_FILE`, local stack only) instead of
sleeping.

Token `iat`/`exp` are deliberately not taken from this clock: every service checks them against
its own real clock, so they stay wall-clock time."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


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


def build_clock(clock_file: Path | None) -> Clock:
    return FileClock(clock_file) if clock_file is not None else SystemClock()
