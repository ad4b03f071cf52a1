"""Sliding-window limits kept in PostgreSQL, so every replica counts the same events. Each service
that limits something adds the `rate_events` table to its metadata with `rate_events_table`.

A limit allows at most `limit` events per key within any `window` (not per clock hour). Keys are
keyed hashes (of a phone number, of a client address), never the values themselves. Each check
runs in a short transaction of its own, serialised per key by an advisory lock: the count survives
whatever happens to the request afterwards, and no lock is held while a provider is called."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_shared.platform.db import Repository
from medrec_shared.platform.observability.metrics import RATE_LIMIT_REFUSALS
from medrec_shared.platform.problems import TooManyRequests


def rate_events_table(metadata: MetaData) -> Table:
    """One counted action for a keyed hash (of a phone, of a client address)."""
    return Table(
        "rate_events",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("bucket", String(32), nullable=False),
        Column("key_hash", String(64), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False, index=True),
        Index("ix_rate_events_bucket_key_at", "bucket", "key_hash", "at"),
    )


class RateLimited(TooManyRequests):
    type, title = "rate-limited", "Too many requests"
    sends_retry_after = True

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is counted and per what, e.g. "verify.phone"
    key_hash: str
    limit: int
    window: timedelta


class RateEventRepository(Repository):
    def __init__(self, session: AsyncSession, table: Table) -> None:
        super().__init__(session)
        self.t = table.c
        self.table = table

    async def lock(self, limit: Limit) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 8001))"),
            {"k": f"{limit.bucket}:{limit.key_hash}"},
        )

    async def forget_before(self, limit: Limit, cutoff: datetime) -> None:
        await self.session.execute(
            delete(self.table).where(
                self.t.bucket == limit.bucket,
                self.t.key_hash == limit.key_hash,
                self.t.at <= cutoff,
            )
        )

    async def count_since(self, limit: Limit, cutoff: datetime) -> int:
        return int(
            await self.scalar(
                select(func.count()).where(
                    self.t.bucket == limit.bucket,
                    self.t.key_hash == limit.key_hash,
                    self.t.at > cutoff,
                )
            )
        )

    async def nth_oldest_since(self, limit: Limit, cutoff: datetime, n: int) -> datetime:
        at: datetime = await self.scalar(
            select(self.t.at)
            .where(
                self.t.bucket == limit.bucket,
                self.t.key_hash == limit.key_hash,
                self.t.at > cutoff,
            )
            .order_by(self.t.at)
            .offset(n)
            .limit(1)
        )
        return at

    async def record(self, limit: Limit, at: datetime) -> None:
        await self.session.execute(
            insert(self.table).values(bucket=limit.bucket, key_hash=limit.key_hash, at=at)
        )

    async def purge_before(self, cutoff: datetime) -> int:
        """Housekeeping: events too old to count in any window."""
        result = await self.session.execute(delete(self.table).where(self.t.at <= cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


class RateLimiter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        now: Callable[[], datetime],
        *,
        message: str = "Too many requests; try again later.",
    ) -> None:
        self.sessions = sessions
        self.table = table
        self.now = now
        self.message = message

    async def hit(self, *limits: Limit, check_only: Sequence[Limit] = ()) -> None:
        """Counts one event against every limit in `limits`, or none when any of them or of
        `check_only` (looked at, not counted: e.g. a person's wrong codes when a start is
        counted) is exhausted; then raises RateLimited with the seconds until the tightest one
        frees a slot."""
        now = self.now()
        everything = [*limits, *check_only]
        ordered = sorted(everything, key=lambda lim: (lim.bucket, lim.key_hash))  # no deadlocks
        async with self.sessions() as session, session.begin():
            events = RateEventRepository(session, self.table)
            tightest: Limit | None = None  # the exhausted limit that frees last
            retry_after = 0.0
            for limit in ordered:
                await events.lock(limit)
                cutoff = now - limit.window
                await events.forget_before(limit, cutoff)
                count = await events.count_since(limit, cutoff)
                if count >= limit.limit:
                    # The slot frees when the event that put the count at the limit ages out.
                    freeing = await events.nth_oldest_since(limit, cutoff, count - limit.limit)
                    frees_in = (freeing + limit.window - now).total_seconds()
                    if tightest is None or frees_in > retry_after:
                        tightest, retry_after = limit, frees_in
            if tightest is not None:
                # One refusal, counted under the limit that refused it: its name (the bucket,
                # fixed by the code), never its key.
                RATE_LIMIT_REFUSALS.labels(tightest.bucket).inc()
                raise RateLimited(
                    self.message,
                    retry_after=max(1, math.ceil(retry_after)),
                )
            for limit in limits:
                await events.record(limit, now)

    async def count(self, limit: Limit) -> None:
        """Counts one event against `limit` whether or not it is exhausted: what is counted
        already happened (a wrong code was tried); a later `hit` or `check_only` refuses."""
        async with self.sessions() as session, session.begin():
            await RateEventRepository(session, self.table).record(limit, self.now())
