"""All the portal's SQL: one row per session, by the hash of its id."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from medrec_portal.models import PortalSession
from medrec_shared.platform.db import Repository


class SessionRepository(Repository):
    async def get(self, id_hash: bytes, now: datetime) -> PortalSession | None:
        row: PortalSession | None = await self.scalar(
            select(PortalSession).where(
                PortalSession.id_hash == id_hash, PortalSession.expires_at > now
            )
        )
        return row

    async def put(self, row: PortalSession) -> None:
        statement = insert(PortalSession).values(
            id_hash=row.id_hash,
            data_sealed=row.data_sealed,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PortalSession.id_hash],
                set_={"data_sealed": row.data_sealed, "expires_at": row.expires_at},
            )
        )

    async def remove(self, id_hash: bytes) -> None:
        await self.session.execute(delete(PortalSession).where(PortalSession.id_hash == id_hash))

    async def remove_expired(self, now: datetime) -> int:
        """Every session expired by `now`; how many went. Safe from any number of replicas at
        once: a row two of them delete goes once."""
        result = await self.session.execute(
            delete(PortalSession).where(PortalSession.expires_at <= now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
