"""Request-scoped dependencies: the session (its transaction owned by the request), identity's
components (`bootstrap`: settings, keys, the clock, the ports, the services), and the kinds of
caller."""

from typing import Annotated

from fastapi import Depends, Request

from medrec_identity.bootstrap import IdentityComponents
from medrec_identity.children.service import Children
from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_identity.verification.service import Verifications
from medrec_shared.platform.auth import CurrentPrincipal, Principal, require_scope
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.components import component
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import DbSession
from medrec_shared.platform.problems import Forbidden
from medrec_shared.platform.ratelimit import RateLimiter

Identity = Annotated[IdentityComponents, Depends(component(IdentityComponents))]


def client_address(request: Request) -> str:
    """The caller's address as uvicorn sees it: X-Forwarded-For counts only from the trusted
    proxies (the `forwarded_allow_ips` setting), else the peer's own address."""
    return request.client.host if request.client else "unknown"


async def _settings(c: Identity) -> IdentitySettings:
    return c.settings


async def _keyring(c: Identity) -> Keyring:
    return c.keyring


async def _keys(c: Identity) -> IdentityKeys:
    return c.keys


async def _clock(c: Identity) -> Clock:
    return c.clock


async def _token_limiter(c: Identity) -> RateLimiter:
    return c.token_rate_limiter


async def _verifications(c: Identity) -> Verifications:
    return c.verifications


async def _children(c: Identity) -> Children:
    return c.children


Session = DbSession
Settings = Annotated[IdentitySettings, Depends(_settings)]
FieldKeyring = Annotated[Keyring, Depends(_keyring)]
Keys = Annotated[IdentityKeys, Depends(_keys)]
AppClock = Annotated[Clock, Depends(_clock)]
TokenLimiter = Annotated[RateLimiter, Depends(_token_limiter)]
VerificationsDep = Annotated[Verifications, Depends(_verifications)]
ChildrenDep = Annotated[Children, Depends(_children)]


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
# catalog's service client, for the phone a notice is sent to.
ContactReader = Annotated[Principal, require_scope("contact:read")]
# catalog's service client, for a FHIR search by patient.identifier (an RRN → its person key).
PersonKeysReader = Annotated[Principal, require_scope("person-keys:read")]
# A verified person's token (possibly a guardian's acting for a child).
CitizenPrincipal = Annotated[Principal, Depends(_citizen)]
# A verified person acting for themselves: guardian tokens are refused.
SelfPrincipal = Annotated[Principal, Depends(_citizen_for_self)]
