"""The purge of expired sessions, which the console runs itself: every replica, every
`session_purge_seconds`, one short transaction deleting the rows expired by the clock's now.

An expired row already signs no one in (SessionStore.load reads only live rows); the purge keeps
the table to the sessions alive, so a copied table or backup holds no more than those. Several
replicas purging at once is harmless (a DELETE by expiry: a row goes once), so there is no lock
or leader. A failed round (the database away) is logged and the next one tries again."""

import asyncio

from medrec_console.sessions.repository import SessionRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger

log = get_logger("medrec.console.sessions")


async def purge_once(transactions: Transactions, clock: Clock) -> int:
    """One round, in a transaction of its own; how many sessions went."""
    async with transactions.begin() as session:
        return await SessionRepository(session).remove_expired(clock.now())


async def purge_forever(transactions: Transactions, clock: Clock, interval: float) -> None:
    """A round every `interval` seconds until cancelled (the app's lifespan ends)."""
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await purge_once(transactions, clock)
        except Exception as exc:  # the database away: the next round tries again
            log.warning("session_purge_failed", error=type(exc).__name__)
            continue
        if removed:
            log.info("sessions_purged", count=removed)
