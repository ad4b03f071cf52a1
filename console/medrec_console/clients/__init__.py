"""The APIs the console calls: one typed client per resource (methods named for the act, answers
parsed into `clients.models`), over one transport per service (`clients.http.Api`) that turns
every failure into an `ApiProblem`.

A page reaches the resource it shows through `ConsoleClients` (`page.clients.linkage`); a new
page's resource gets a client module here and a field below, built on its service's `Api`."""

from dataclasses import dataclass

from medrec_console.clients.http import Api
from medrec_console.clients.linkage import LinkageClient
from medrec_console.clients.proxy_requests import ProxyRequestsClient
from medrec_console.clients.staff_sessions import StaffSessionsClient
from medrec_console.clients.stats import StatsClient


@dataclass(frozen=True, kw_only=True)
class Apis:
    """One transport per service (their connection pools), shared by its resources' clients."""

    identity: Api
    ingest: Api
    catalog: Api
    issuance: Api

    @classmethod
    def connect(
        cls, *, identity_url: str, ingest_url: str, catalog_url: str, issuance_url: str,
        timeout: float,
    ) -> "Apis":  # fmt: skip
        return cls(
            identity=Api("identity", identity_url, timeout),
            ingest=Api("ingest", ingest_url, timeout),
            catalog=Api("catalog", catalog_url, timeout),
            issuance=Api("issuance", issuance_url, timeout),
        )

    async def aclose(self) -> None:
        for api in (self.identity, self.ingest, self.catalog, self.issuance):
            await api.aclose()


@dataclass(frozen=True, kw_only=True)
class ConsoleClients:
    apis: Apis
    staff_sessions: StaffSessionsClient  # identity
    stats: StatsClient  # catalog
    linkage: LinkageClient  # catalog
    proxy_requests: ProxyRequestsClient  # issuance

    @classmethod
    def over(cls, apis: Apis) -> "ConsoleClients":
        """The clients (no request made yet)."""
        return cls(
            apis=apis,
            staff_sessions=StaffSessionsClient(apis.identity),
            stats=StatsClient(apis.catalog),
            linkage=LinkageClient(apis.catalog),
            proxy_requests=ProxyRequestsClient(apis.issuance),
        )

    async def aclose(self) -> None:
        await self.apis.aclose()
