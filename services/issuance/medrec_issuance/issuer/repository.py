"""All SQL on the issuer's signing keys. Nothing here commits."""

from sqlalchemy import select, text

from medrec_issuance.models import IssuerKey
from medrec_shared.platform.db import Repository


class IssuerKeyRepository(Repository):
    async def lock(self) -> None:
        """Held until the transaction ends, so of replicas starting together only one creates the
        key (8004: the lock is issuance's own, its port number)."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(8004)"))

    async def active(self) -> IssuerKey | None:
        return await self.scalar(
            select(IssuerKey).where(IssuerKey.active).order_by(IssuerKey.id.desc())
        )

    async def add(self, key: IssuerKey) -> None:
        self.session.add(key)
        await self.session.flush()
