"""The four APIs the console calls (identity, ingest, catalog, issuance), with the staff person's
token: the transport under the typed clients (`medrec_console.clients`).

The transport itself is the front doors' shared one (medrec_shared.platform.frontdoor.client);
what is the console's is which services it calls and the logger an unreachable one is reported
under. Every answer that is not a success is an `ApiProblem`; the pages turn it into a Korean
sentence (medrec_console.messages)."""

from typing import Literal

from medrec_shared.platform.frontdoor.client import CLIENT_ADDRESS, ApiProblem
from medrec_shared.platform.frontdoor.client import Api as FrontDoorApi

__all__ = ["CLIENT_ADDRESS", "Api", "ApiProblem", "Service"]

Service = Literal["identity", "ingest", "catalog", "issuance"]


class Api(FrontDoorApi):
    """One API the console calls, with the staff person's token when a call is made for them."""

    log_name = "medrec.console.clients"

    def __init__(self, service: Service, base_url: str, timeout: float) -> None:
        super().__init__(service, base_url, timeout)
