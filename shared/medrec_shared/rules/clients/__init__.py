"""One client per service, as the other services call it: methods named for the act, answers
in the shared contracts (`medrec_shared.rules.contracts`), each built on a `ServiceClient`."""

from medrec_shared.rules.clients.catalog import CatalogClient
from medrec_shared.rules.clients.identity import IdentityClient
from medrec_shared.rules.clients.ingest import ContentGone, IngestClient
from medrec_shared.rules.clients.issuance import IssuanceClient, ReceiptStream

__all__ = [
    "CatalogClient",
    "ContentGone",
    "IdentityClient",
    "IngestClient",
    "IssuanceClient",
    "ReceiptStream",
]
