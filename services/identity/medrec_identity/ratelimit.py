"""Sliding-window limits kept in PostgreSQL, so every replica counts the same events.

A limit allows at most `limit` events per key within any `window` (not per clock hour). Keys are
keyed hashes (of a phone number, of a client address), never the values themselves. Each check
runs in a short transaction of its own, serialised per key by an advisory lock: the count survives
whatever happens to the request afterwards, and no lock is held while a provider is called."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from medrec_identity.models import RateEvent
from medrec_shared.db import Repository
from medrec_shared.problems import TooManyRequests, problem_response


class RateLimited(TooManyRequests):
    type, title = "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


async def rate_limited_response(request: Request, exc: Exception) -> JSONResponse:
    """Problem handler for RateLimited: the RFC 9457 body plus `Retry-After` (seconds)."""
    assert isinstance(exc, RateLimited)
    response = problem_response(exc, request)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is counted and per what, e.g. "verify.phone"
    key_hash: str
    limit: int
    window: timedelta


class RateEventRepository(Repository):
    async def lock(self, limit: Limit) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 8001))"),
            {"k": f"{limit.bucket}:{limit.key_hash}"},
        )

    async def forget_before(self, limit: Limit, cutoff: datetime) -> None:
        await self.session.execute(
            delete(RateEvent).where(
                RateEvent.bucket == limit.bucket,
                RateEvent.key_hash == limit.key_hash,
                RateEvent.at <= cutoff,
            )
        )

    async def count_since(self, limit: Limit, cutoff: datetime) -> int:
        return int(
            await self.scalar(
                select(func.count()).where(
                    RateEvent.bucket == limit.bucket,
                    RateEvent.key_hash == limit.key_hash,
                    RateEvent.at > cutoff,
                )
            )
        )

    async def nth_oldest_since(self, limit: Limit, cutoff: datetime, n: int) -> datetime:
        at: datetime = await self.scalar(
            select(RateEvent.at)
            .where(
                RateEvent.bucket == limit.bucket,
                RateEvent.key_hash == limit.key_hash,
                RateEvent.at > cutoff,
            )
            .order_by(RateEvent.at)
            .offset(n)
            .limit(1)
        )
        return at

    async def record(self, limit: Limit, at: datetime) -> None:
        self.session.add(RateEvent(bucket=limit.bucket, key_hash=limit.key_hash, at=at))
        await self.session.flush()

    async def purge_before(self, cutoff: datetime) -> int:
        """Housekeeping: events too old to count in any window."""
        result = await self.session.execute(delete(RateEvent).where(RateEvent.at <= cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


class RateLimiter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], datetime]):
        self.sessions = sessions
        self.now = now

    async def hit(self, *limits: Limit) -> None:
        """Counts one event against every limit, or none when any is exhausted (then raises
        RateLimited with the seconds until the tightest one frees a slot)."""
        now = self.now()
        ordered = sorted(limits, key=lambda lim: (lim.bucket, lim.key_hash))  # no deadlocks
        async with self.sessions() as session, session.begin():
            events = RateEventRepository(session)
            exhausted, retry_after = False, 0.0
            for limit in ordered:
                await events.lock(limit)
                cutoff = now - limit.window
                await events.forget_before(limit, cutoff)
                count = await events.count_since(limit, cutoff)
                if count >= limit.limit:
                    exhausted = True
                    # The slot frees when the event that put the count at the limit ages out.
                    freeing = await events.nth_oldest_since(limit, cutoff, count - limit.limit)
                    retry_after = max(retry_after, (freeing + limit.window - now).total_seconds())
            if exhausted:
                raise RateLimited(
                    "Too many verifications started; try again later.",
                    retry_after=max(1, math.ceil(retry_after)),
                )
            for limit in ordered:
                await events.record(limit, now)
