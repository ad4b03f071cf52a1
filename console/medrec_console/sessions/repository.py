"""All the console's SQL: one row per session, by the hash of its id."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from medrec_console.models import ConsoleSession
from medrec_shared.platform.db import Repository


class SessionRepository(Repository):
    async def get(self, id_hash: bytes, now: datetime) -> ConsoleSession | None:
        row: ConsoleSession | None = await self.scalar(
            select(ConsoleSession).where(
                ConsoleSession.id_hash == id_hash, ConsoleSession.expires_at > now
            )
        )
        return row

    async def put(self, row: ConsoleSession) -> None:
        statement = insert(ConsoleSession).values(
            id_hash=row.id_hash,
            data_sealed=row.data_sealed,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ConsoleSession.id_hash],
                set_={"data_sealed": row.data_sealed, "expires_at": row.expires_at},
            )
        )

    async def remove(self, id_hash: bytes) -> None:
        await self.session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == id_hash))

    async def remove_expired(self, now: datetime) -> int:
        """Every session expired by `now`; how many went. Safe from any number of replicas at
        once: a row two of them delete goes once."""
        result = await self.session.execute(
            delete(ConsoleSession).where(ConsoleSession.expires_at <= now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
