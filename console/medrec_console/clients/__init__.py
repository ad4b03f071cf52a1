"""The APIs the console calls: one typed client per resource (methods named for the act, answers
parsed into `clients.models`), over one transport per service (`clients.http.Api`) that turns
every failure into an `ApiProblem`.

A page reaches the resource it shows through `ConsoleClients` (`page.clients.linkage`); a new
page's resource gets a client module here and a field below, built on its service's `Api`."""

from dataclasses import dataclass

from medrec_console.clients.audit import AuditClient
from medrec_console.clients.closures import ClosuresClient
from medrec_console.clients.dead_letters import DeadLettersClient
from medrec_console.clients.destructions import DestructionsClient, RetentionClient
from medrec_console.clients.http import Api
from medrec_console.clients.institution_clients import InstitutionClientsClient
from medrec_console.clients.linkage import LinkageClient
from medrec_console.clients.proxy_requests import ProxyRequestsClient
from medrec_console.clients.staff import StaffClient
from medrec_console.clients.staff_sessions import StaffSessionsClient
from medrec_console.clients.stats import StatsClient
from medrec_console.clients.transfer_requests import TransferRequestsClient
from medrec_console.clients.transfers import TransfersClient


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
    transfers: TransfersClient  # ingest
    transfer_requests: TransferRequestsClient  # catalog
    destructions: DestructionsClient  # ingest
    retention: RetentionClient  # catalog
    institution_clients: InstitutionClientsClient  # identity
    staff: StaffClient  # identity
    dead_letters: DeadLettersClient  # ingest, catalog, issuance
    audit: AuditClient  # catalog
    closures: ClosuresClient  # catalog

    @classmethod
    def over(cls, apis: Apis) -> "ConsoleClients":
        """The clients (no request made yet)."""
        return cls(
            apis=apis,
            staff_sessions=StaffSessionsClient(apis.identity),
            stats=StatsClient(apis.catalog),
            linkage=LinkageClient(apis.catalog),
            proxy_requests=ProxyRequestsClient(apis.issuance),
            transfers=TransfersClient(apis.ingest),
            transfer_requests=TransferRequestsClient(apis.catalog),
            destructions=DestructionsClient(apis.ingest),
            retention=RetentionClient(apis.catalog),
            institution_clients=InstitutionClientsClient(apis.identity),
            staff=StaffClient(apis.identity),
            dead_letters=DeadLettersClient(
                {"ingest": apis.ingest, "catalog": apis.catalog, "issuance": apis.issuance}
            ),
            audit=AuditClient(apis.catalog),
            closures=ClosuresClient(apis.catalog),
        )

    async def aclose(self) -> None:
        await self.apis.aclose()
