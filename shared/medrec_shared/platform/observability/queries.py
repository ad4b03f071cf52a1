"""The statements the gauges are refreshed from: one short read each, in autocommit."""

from sqlalchemy import Table, func, select

from medrec_shared.platform.db import Repository


class BacklogRepository(Repository):
    async def outbox_backlog(self, outbox: Table) -> tuple[int, float]:
        """How many events wait, and the age in seconds of the oldest (0 when none). Aged by
        the database's own clock: `created_at` is the database's `now()` too, so no clock skew
        (nor a test's moved clock) can make an age up. `sent_at IS NULL` uses its index."""
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0
                    ),
                ).where(outbox.c.sent_at.is_(None))
            )
        ).one()
        return int(row[0]), max(0.0, float(row[1]))

    async def unresolved_dead_letters(self, dead_letters: Table) -> int:
        """Parked or waiting for the retry an operator asked for: not applied yet."""
        return int(
            await self.scalar(select(func.count()).where(dead_letters.c.status != "retried"))
        )
