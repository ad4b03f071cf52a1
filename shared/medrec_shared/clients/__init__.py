"""One client per service, as the other services call it: methods named for the act, answers
in the shared contracts (`medrec_shared.contracts`), each built on a `ServiceClient`."""

from medrec_shared.clients.catalog import CatalogClient
from medrec_shared.clients.identity import IdentityClient
from medrec_shared.clients.ingest import ContentGone, IngestClient

__all__ = ["CatalogClient", "ContentGone", "IdentityClient", "IngestClient"]
