"""The retry policy: what is retried, and how long to wait.

Retried: 429 (waiting what Retry-After says), 5xx, timeouts and connection errors: the request
did not take effect, or it did and the service's idempotency makes the repeat harmless. Never a
4xx other than 429: sending the same thing again would be refused again. Waits grow
exponentially with full jitter (so many clients do not return in step) up to `cap`, and the
policy gives up after `max_elapsed` seconds in all, long enough to ride out a restart.
Pure: time and randomness are given, so a unit test can drive it."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_retried_status(status: int) -> bool:
    return status in RETRIED_STATUSES or 500 <= status < 600


def is_retried_exception(error: BaseException) -> bool:
    """Timeouts and transport failures (refused, reset, closed mid-answer)."""
    return isinstance(error, httpx.TimeoutException | httpx.TransportError)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.5  # the first wait is up to this
    cap: float = 15.0  # no single wait longer than this (Retry-After is capped at retry_after_cap)
    retry_after_cap: float = 120.0
    max_elapsed: float = 600.0  # give up after this long in all
    max_attempts: int | None = None  # or after this many attempts
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (from 1): full jitter over
        [0, min(cap, base * 2**(attempt-1))]."""
        ceiling = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return ceiling * self.rand()

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return self.backoff(attempt)

    def gives_up(self, attempt: int, elapsed: float, next_delay: float) -> bool:
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return True
        return elapsed + next_delay > self.max_elapsed
