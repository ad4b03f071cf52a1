"""Scheduled jobs shared by a service's worker replicas: each period's run happens once,
whichever replica wins it, and never two runs of one job at once.

A period is `seconds` long and starts at a multiple of `seconds` since the epoch, read from the
service's clock (so a test moves into the next period by moving the clock, never by waiting).
Each replica looks at the clock every `tick` seconds; when the period has changed it claims the
period with a `schedule_runs` row per (job, period start), inserted with ON CONFLICT DO NOTHING:
the one replica whose insert made the row runs the job, the others skip it.

While a job runs, its replica holds a session advisory lock on the job's name, on a connection
of its own: a replica that finds it taken does not run the job too (two sweeps at once would
each do half of the other's work, or both of it). A replica killed mid-run loses the connection,
so the lock goes with it.

Every worker runs each job once when it starts, whatever the period (under the same lock): a
run killed halfway is finished by the restarted worker at once, not in the next period, and a
sweep's state stays as its tests know it (a worker started is a sweep run). The jobs are sweeps
that look for what is due, so a second run in a period finds nothing left to do; what must not
happen, and does not, is one run per replica per period.

A queue drained by claims of its own (catalog's notice delivery, issuance's copies) is not a
scheduled job: every replica drains it, each taking what it claimed."""

import asyncio
import os
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from medrec_shared.platform.clock import Clock
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.worker import sleep_or_stop

log = get_logger("medrec.schedule")
TICK_SECONDS = 1.0


def schedule_table(metadata: MetaData) -> Table:
    """`schedule_runs`: one row per job and period, made by the replica that runs it."""
    return Table(
        "schedule_runs",
        metadata,
        Column("job", String(100), primary_key=True),
        Column("period_start", DateTime(timezone=True), primary_key=True),
        Column("runner", String(200), nullable=False),
        Column("claimed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def period_start(instant: datetime, seconds: float) -> datetime:
    """The start of the period `instant` is in: a multiple of `seconds` since the epoch."""
    stamp = instant.timestamp()
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


class ScheduleRuns:
    """The SQL of the schedule: claiming a period, and the job's run lock."""

    def __init__(self, engine: AsyncEngine, table: Table, runner: str | None = None) -> None:
        self.engine = engine
        self.table = table
        # Who claimed, for the operator: the replica's host (its pod) and process.
        self.runner = runner or f"{socket.gethostname()}:{os.getpid()}"

    async def claim(self, job: str, start: datetime) -> bool:
        """True when this replica made the period's row: it is the one to run the job."""
        async with self.engine.begin() as conn:
            made = await conn.execute(
                pg_insert(self.table)
                .values(job=job, period_start=start, runner=self.runner)
                .on_conflict_do_nothing()
                .returning(self.table.c.job)
            )
            return made.first() is not None

    @asynccontextmanager
    async def exclusive(self, job: str) -> AsyncIterator[bool]:
        """Yields whether this replica holds the job's run lock (held until the block ends)."""
        key = zlib.crc32(f"medrec.schedule.{job}".encode())
        async with self.engine.connect() as conn:
            got = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
            await conn.commit()  # the lock is the session's; no transaction left open
            try:
                yield got
            finally:
                if got:
                    await self._unlock(conn, key)

    @staticmethod
    async def _unlock(conn: AsyncConnection, key: int) -> None:
        try:
            await conn.scalar(select(func.pg_advisory_unlock(key)))
            await conn.commit()
        except Exception:
            # Not unlocked (the database away): the connection must not go back to the pool
            # holding the lock, or the job would never run again anywhere. Closed instead.
            await conn.invalidate()
            raise


@dataclass(frozen=True)
class Scheduled:
    """A job run once per period across the replicas sharing `runs`."""

    name: str
    seconds: float
    job: Callable[[], Awaitable[object]]
    runs: ScheduleRuns
    clock: Clock
    tick: float = TICK_SECONDS

    async def run(self, stop: asyncio.Event) -> None:
        """Runs the job at start, then once per period whichever replica wins, until stopped."""
        last: datetime | None = None
        while not stop.is_set():
            try:
                start = period_start(self.clock.now(), self.seconds)
                if start != last:
                    won = await self.runs.claim(self.name, start)
                    if won or last is None:
                        await self._run_alone(start, at_start=last is None)
                    else:
                        log.info("scheduled_job_skipped", job=self.name, period=start.isoformat())
                    last = start
            except Exception as exc:  # the database away, or the job failed: the next tick
                log.warning("scheduled_job_failed", job=self.name, error_type=type(exc).__name__)
            await sleep_or_stop(stop, self.tick)

    async def _run_alone(self, start: datetime, *, at_start: bool) -> None:
        async with self.runs.exclusive(self.name) as alone:
            if not alone:  # another replica is running it now
                log.info("scheduled_job_skipped", job=self.name, period=start.isoformat())
                return
            log.info(
                "scheduled_job_ran", job=self.name, period=start.isoformat(), at_start=at_start
            )
            await self.job()
