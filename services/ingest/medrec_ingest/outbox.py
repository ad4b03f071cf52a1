"""Events written in bulk to the outbox, in the caller's transaction (as `Outbox.add` writes one).
Nothing here commits."""

from collections.abc import Sequence

from sqlalchemy import insert

from medrec_shared.db import Repository
from medrec_shared.events import Envelope, EventData
from medrec_shared.messaging import Outbox


class OutboxRepository(Repository):
    async def add_many(
        self, outbox: Outbox, topic: str, events: Sequence[tuple[str, EventData]]
    ) -> None:
        """Several events in one statement, in the caller's transaction (as `Outbox.add`)."""
        if not events:
            return
        rows = []
        for key, data in events:
            envelope = Envelope.wrap(outbox.producer, data)
            rows.append(
                {
                    "event_id": envelope.event_id,
                    "topic": topic,
                    "key": key,
                    "envelope": envelope.model_dump(mode="json"),
                }
            )
        await self.session.execute(insert(outbox.table), rows)
