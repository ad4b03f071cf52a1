"""The loops that refresh the gauges whose truth lives elsewhere (a database, the broker):
each probe is one short query, run every few seconds in the process that serves the gauge.
A probe that fails leaves its gauge as it was and is tried again at the next round; it never
stops the process (the API keeps serving, the worker keeps working)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import Table

from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.observability.metrics import (
    DB_POOL_CONNECTIONS,
    DB_POOL_SIZE,
    DEAD_LETTERS_PARKED,
    DEPENDENCY_UP,
    OUTBOX_OLDEST_AGE,
    OUTBOX_UNSENT,
)
from medrec_shared.platform.observability.queries import BacklogRepository
from medrec_shared.platform.worker import sleep_or_stop

log = get_logger("medrec.metrics")
Probe = Callable[[], Awaitable[None]]
Check = Callable[[], Awaitable[object]]
API_REFRESH_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 10.0  # a whole probe
CHECK_TIMEOUT_SECONDS = 3.0  # one dependency, as /readyz waits for it


async def refresh(stop: asyncio.Event, probes: Sequence[Probe], seconds: float) -> None:
    """Runs every probe now and every `seconds` until stopped; never raises."""
    while not stop.is_set():
        for probe in probes:
            try:
                await asyncio.wait_for(probe(), timeout=PROBE_TIMEOUT_SECONDS)
            except Exception as exc:
                log.debug("metrics_probe_failed", error_type=type(exc).__name__)
        await sleep_or_stop(stop, seconds)


@asynccontextmanager
async def refreshing(
    probes: Sequence[Probe], seconds: float = API_REFRESH_SECONDS
) -> AsyncIterator[None]:
    """The probes refreshed in a task beside an API while it runs (its lifespan)."""
    stop = asyncio.Event()
    task = asyncio.create_task(refresh(stop, probes, seconds), name="metrics-refresh")
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def outbox_probe(service: str, db: Database, outbox: Table) -> Probe:
    async def probe() -> None:
        async with Transactions.of(db).read() as session:
            unsent, age = await BacklogRepository(session).outbox_backlog(outbox)
        OUTBOX_UNSENT.labels(service).set(unsent)
        OUTBOX_OLDEST_AGE.labels(service).set(age)

    return probe


def dead_letters_probe(service: str, db: Database, dead_letters: Table) -> Probe:
    async def probe() -> None:
        async with Transactions.of(db).read() as session:
            parked = await BacklogRepository(session).unresolved_dead_letters(dead_letters)
        DEAD_LETTERS_PARKED.labels(service).set(parked)

    return probe


def dependencies_probe(service: str, checks: Mapping[str, Check]) -> Probe:
    """What /readyz asks (`medrec_shared.platform.web.dependency_checks`), as 1 or 0 each: a
    check that raises, times out or answers False is down."""

    async def probe() -> None:
        for name, check in checks.items():
            try:
                up = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS) is not False
            except Exception:
                up = False
            DEPENDENCY_UP.labels(service, name).set(1 if up else 0)

    return probe


def pool_probe(service: str, db: Database) -> Probe:
    """The pool's connections lent out (`in_use`) and kept ready (`idle`); no query."""

    async def probe() -> None:
        pool = db.engine.pool
        DB_POOL_CONNECTIONS.labels(service, "in_use").set(pool.checkedout())  # type: ignore[attr-defined]
        DB_POOL_CONNECTIONS.labels(service, "idle").set(pool.checkedin())  # type: ignore[attr-defined]
        DB_POOL_SIZE.labels(service).set(pool.size())  # type: ignore[attr-defined]

    return probe


def api_probes(
    service: str,
    db: Database,
    outbox: Table,
    checks: Mapping[str, Check],
    *,
    dead_letters: Table | None = None,
    more: Sequence[Probe] = (),
) -> list[Probe]:
    """An API's gauges: its outbox, its dead letters (a consuming service), its dependencies,
    its pool, and what the service adds (`more`)."""
    probes = [outbox_probe(service, db, outbox), dependencies_probe(service, checks)]
    if dead_letters is not None:
        probes.append(dead_letters_probe(service, db, dead_letters))
    return [*probes, pool_probe(service, db), *more]
