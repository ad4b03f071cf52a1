"""The APIs the portal calls, one typed client each (methods named for the act, answers parsed
into models), over one transport (`clients.http.Api`) that turns every failure into an
`ApiProblem`."""

from dataclasses import dataclass

from medrec_portal.clients.catalog import CatalogClient
from medrec_portal.clients.http import Api
from medrec_portal.clients.identity import IdentityClient
from medrec_portal.clients.issuance import IssuanceClient


@dataclass(frozen=True, kw_only=True)
class PortalClients:
    identity: IdentityClient
    catalog: CatalogClient
    issuance: IssuanceClient

    @classmethod
    def connect(
        cls, *, identity_url: str, catalog_url: str, issuance_url: str, timeout: float
    ) -> "PortalClients":
        """The clients (no request made yet)."""
        return cls(
            identity=IdentityClient(Api("identity", identity_url, timeout)),
            catalog=CatalogClient(Api("catalog", catalog_url, timeout)),
            issuance=IssuanceClient(Api("issuance", issuance_url, timeout)),
        )

    async def aclose(self) -> None:
        await self.identity.aclose()
        await self.catalog.aclose()
        await self.issuance.aclose()
