"""Request-scoped dependencies: the session (its transaction owned by the request), settings,
keys, the clock, the ports (verification provider, identity binding, family registry), and the
kinds of caller."""

from typing import Annotated

from fastapi import Depends, Request

from medrec_identity.binding.port import IdentityBinding
from medrec_identity.family.port import FamilyRegistry
from medrec_identity.family.select import registry_for_request
from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_identity.verification.port import VerificationProvider
from medrec_shared.auth import CurrentPrincipal, Principal, require_scope
from medrec_shared.clock import Clock
from medrec_shared.crypto import Keyring
from medrec_shared.db import DbSession, Transactions
from medrec_shared.problems import Forbidden
from medrec_shared.ratelimit import RateLimiter
from medrec_shared.web import AppOutbox, from_state


def client_address(request: Request) -> str:
    """The caller's address as uvicorn sees it: X-Forwarded-For counts only from the trusted
    proxies (the `forwarded_allow_ips` setting), else the peer's own address."""
    return request.client.host if request.client else "unknown"


def _own_transactions(request: Request) -> Transactions:
    """For the few writes that must outlive a failing request (counting a wrong try)."""
    return Transactions.of(request.app.state.db)


Session = DbSession
OutboxDep = AppOutbox
Settings = Annotated[IdentitySettings, Depends(from_state("settings"))]
FieldKeyring = Annotated[Keyring, Depends(from_state("keyring"))]
Keys = Annotated[IdentityKeys, Depends(from_state("keys"))]
AppClock = Annotated[Clock, Depends(from_state("clock"))]
Provider = Annotated[VerificationProvider, Depends(from_state("verification_provider"))]
Binding = Annotated[IdentityBinding, Depends(from_state("identity_binding"))]
Limiter = Annotated[RateLimiter, Depends(from_state("rate_limiter"))]
TokenLimiter = Annotated[RateLimiter, Depends(from_state("token_rate_limiter"))]
OwnTransactions = Annotated[Transactions, Depends(_own_transactions)]


def _registry(request: Request, session: Session, keyring: FieldKeyring) -> FamilyRegistry:
    return registry_for_request(request.app.state, session, keyring)


Registry = Annotated[FamilyRegistry, Depends(_registry)]


class ActingForOther(Forbidden):
    type, title = "acting-for-other", "Not with a token that acts for someone else"


async def _citizen(principal: CurrentPrincipal) -> Principal:
    if principal.person_key is None:
        raise Forbidden("A citizen token is required.")
    return principal


async def _citizen_for_self(principal: Annotated[Principal, Depends(_citizen)]) -> Principal:
    if principal.acting_for_other:
        raise ActingForOther("A token acting for a child cannot do this.")
    return principal


# catalog's service client, for an operator's linkage review.
DemographicsReader = Annotated[Principal, require_scope("demographics:read")]
# A verified person's token (possibly a guardian's acting for a child).
CitizenPrincipal = Annotated[Principal, Depends(_citizen)]
# A verified person acting for themselves: guardian tokens are refused.
SelfPrincipal = Annotated[Principal, Depends(_citizen_for_self)]
