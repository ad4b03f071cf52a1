"""Request-scoped dependencies: catalog's components (`bootstrap`), its services, and the kinds
of caller."""

from typing import Annotated

from fastapi import Depends

from medrec_catalog.bootstrap import CatalogComponents
from medrec_catalog.fhir.service import DocumentResponder
from medrec_catalog.linkage.service import LinkageReview
from medrec_catalog.records.service import Records
from medrec_catalog.retention.service import Retention
from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.components import component
from medrec_shared.platform.db import DbSession
from medrec_shared.rules.staff import (
    AUDIT_READ,
    CLOSURES_MANAGE,
    LINKAGE_REVIEW,
    RETENTION_MANAGE,
    STATS_READ,
    TRANSFER_REQUESTS_READ,
)

Catalog = Annotated[CatalogComponents, Depends(component(CatalogComponents))]


async def _records(c: Catalog) -> Records:
    return c.records


async def _linkage(c: Catalog) -> LinkageReview:
    return c.linkage


async def _retention(c: Catalog) -> Retention:
    return c.retention


async def _fhir(c: Catalog) -> DocumentResponder:
    return c.fhir


RecordsDep = Annotated[Records, Depends(_records)]
FhirResponderDep = Annotated[DocumentResponder, Depends(_fhir)]
LinkageReviewDep = Annotated[LinkageReview, Depends(_linkage)]
RetentionDep = Annotated[Retention, Depends(_retention)]
Citizen = Annotated[Principal, require_scope("records:read")]
CatalogReader = Annotated[Principal, require_scope("catalog:read")]
# Staff, named for who may call (medrec_shared.rules.staff: the one scope of each act).
StatsReader = Annotated[Principal, require_scope(STATS_READ)]
LinkageReviewer = Annotated[Principal, require_scope(LINKAGE_REVIEW)]
RetentionManager = Annotated[Principal, require_scope(RETENTION_MANAGE)]
Auditor = Annotated[Principal, require_scope(AUDIT_READ)]
ClosuresManager = Annotated[Principal, require_scope(CLOSURES_MANAGE)]
TransferRequestsReader = Annotated[Principal, require_scope(TRANSFER_REQUESTS_READ)]

__all__ = [
    "Auditor",
    "Catalog",
    "CatalogReader",
    "Citizen",
    "ClosuresManager",
    "DbSession",
    "FhirResponderDep",
    "LinkageReviewDep",
    "LinkageReviewer",
    "RecordsDep",
    "RetentionDep",
    "RetentionManager",
    "StatsReader",
    "TransferRequestsReader",
]
