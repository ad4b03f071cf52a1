"""identity's institution clients as the console manages them (`clients:manage`): register one
(its secret is in that one answer and nowhere else: identity keeps only a hash), list the active
ones, revoke one. Each register and revoke is a StaffActed naming the person."""

from medrec_console.clients.http import Api
from medrec_console.clients.models import InstitutionClient, InstitutionClients, RegisteredClient


class InstitutionClientsClient:
    def __init__(self, identity: Api) -> None:
        self.api = identity

    async def register(
        self, token: str, *, name: str, institution_codes: list[str], scopes: list[str]
    ) -> RegisteredClient:
        body = {"name": name, "institution_codes": institution_codes, "scopes": scopes}
        return await self.api.call(RegisteredClient, "POST", "/v1/clients", token=token, json=body)

    async def clients(self, token: str) -> list[InstitutionClient]:
        found = await self.api.call(InstitutionClients, "GET", "/v1/clients", token=token)
        return found.items

    async def revoke(self, token: str, client_id: str) -> None:
        await self.api.send("DELETE", f"/v1/clients/{client_id}", token=token)
