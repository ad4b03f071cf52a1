"""All SQL on API clients."""

from sqlalchemy import select

from medrec_identity.models import ApiClient
from medrec_shared.platform.db import Repository


class ClientRepository(Repository):
    async def get(self, client_id: str) -> ApiClient | None:
        return await self.session.get(ApiClient, client_id)

    async def active(self) -> list[ApiClient]:
        rows = await self.session.execute(
            select(ApiClient).where(ApiClient.revoked_at.is_(None)).order_by(ApiClient.created_at)
        )
        return list(rows.scalars())

    async def holding(self, scope: str) -> list[str]:
        """The active clients holding `scope`, by id."""
        rows = await self.session.execute(
            select(ApiClient.client_id).where(
                ApiClient.revoked_at.is_(None), ApiClient.scopes.any_() == scope
            )
        )
        return list(rows.scalars())

    async def add(self, client: ApiClient) -> None:
        self.session.add(client)
        await self.session.flush()
