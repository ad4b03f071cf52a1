"""What issuance's routes depend on, each read from the service's components
(`bootstrap.IssuanceComponents`) by type."""

from typing import Annotated

from fastapi import Depends

from medrec_issuance.bootstrap import IssuanceComponents
from medrec_issuance.issuances.service import Issuances
from medrec_issuance.proxies.service import ProxyRequests
from medrec_issuance.settings import IssuanceSettings
from medrec_issuance.shares.service import Shares
from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.components import component
from medrec_shared.platform.db import DbSession
from medrec_shared.platform.ratelimit import RateLimiter
from medrec_shared.platform.vault import Vault
from medrec_shared.platform.web import AppOutbox
from medrec_shared.rules.staff import PROXY_REVIEW

Parts = Annotated[IssuanceComponents, Depends(component(IssuanceComponents))]


async def _settings(c: Parts) -> IssuanceSettings:
    return c.settings


async def _issuances(c: Parts) -> Issuances:
    return c.issuances


async def _proxies(c: Parts) -> ProxyRequests:
    return c.proxies


async def _shares(c: Parts) -> Shares:
    return c.shares


async def _vault(c: Parts) -> Vault:
    return c.vault


async def _rate_limiter(c: Parts) -> RateLimiter:
    return c.rate_limiter


Settings = Annotated[IssuanceSettings, Depends(_settings)]
IssuancesDep = Annotated[Issuances, Depends(_issuances)]
ProxiesDep = Annotated[ProxyRequests, Depends(_proxies)]
SharesDep = Annotated[Shares, Depends(_shares)]
VaultDep = Annotated[Vault, Depends(_vault)]
RateLimiterDep = Annotated[RateLimiter, Depends(_rate_limiter)]
OutboxDep = AppOutbox
Requester = Annotated[Principal, require_scope("issuance:write")]
# A depositor's own token, forwarded by ingest for the transfer's receipt (issuances.receipts).
ReceiptReader = Annotated[Principal, require_scope("transfer:write")]
# Staff who may read Art. 21 requests and decide them (medrec_shared.rules.staff).
ProxyReviewer = Annotated[Principal, require_scope(PROXY_REVIEW)]

__all__ = [
    "DbSession",
    "IssuancesDep",
    "OutboxDep",
    "ProxiesDep",
    "ProxyReviewer",
    "RateLimiterDep",
    "ReceiptReader",
    "Requester",
    "Settings",
    "SharesDep",
    "VaultDep",
]
