"""JWT verification against identity's cached JWKS, and the caller as a `Principal`.

Tokens carry `scope` (space separated), and per kind: `institution_codes` (institution
clients), `person_key` (citizens: the keyed hash their records are filed under), `act.sub`
(a guardian acting for the child in `sub`, RFC 8693) and `staff` (a person of the service or of a
health centre, signed in: see `StaffMember`)."""

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from medrec_shared.platform.components import components_of
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import Forbidden, Unauthorized
from medrec_shared.platform.settings import ServiceSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class StaffMember:
    """The `staff` claim of a staff person's token (identity issues it at sign-in): who they are,
    for every record of what they did, and where their oversight ends. `sub` is `staff:<id>`."""

    account_id: str
    login: str
    organisation: str  # "khis" (the service) or "hc:<region code>" (a health centre)
    roles: frozenset[str]
    region: str | None = None  # a health centre's region code: its staff see that region only

    @classmethod
    def from_claim(cls, claim: Any) -> "StaffMember | None":
        if not isinstance(claim, dict):
            return None
        try:
            return cls(
                account_id=str(claim["account_id"]),
                login=str(claim["login"]),
                organisation=str(claim["organisation"]),
                roles=frozenset(str(role) for role in claim.get("roles", [])),
                region=claim.get("region"),
            )
        except KeyError:
            return None

    def claim(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "login": self.login,
            "organisation": self.organisation,
            "roles": sorted(self.roles),
            "region": self.region,
        }


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    client_id: str | None = None
    institution_codes: frozenset[str] = frozenset()
    person_key: str | None = None
    actor: str | None = None  # the guardian when acting for a child
    actor_person_key: str | None = None
    staff: StaffMember | None = None  # a staff person signed in (not a machine account)
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_citizen(self) -> bool:
        return self.person_key is not None

    @property
    def acting_for_other(self) -> bool:
        return self.actor is not None

    @property
    def accountable(self) -> str:
        """Who answers for an act, as `decided_by`, `released_by` and the like record it: the
        staff person's login, or the machine account's client id."""
        if self.staff is not None:
            return self.staff.login
        return self.client_id or self.subject

    def require(self, *scopes: str) -> None:
        if not set(scopes) <= self.scopes:
            raise Forbidden("The token lacks the scope this needs.")


class JwksCache:
    """identity's signing keys as a service trusts them: fetched from its JWKS, trusted for
    `cache_seconds`, then fetched again, so a key identity retires (gone from the JWKS) stops
    being trusted within that time. A token with a `kid` not among them (a key published since
    the last fetch) fetches at once, but at most every `min_refresh_seconds`, so a flood of
    tokens with made-up kids cannot hammer identity.

    Identity unreachable at a fetch (or answering something that is not a JWKS): the keys
    already fetched stay trusted, a warning is logged, and the fetch is tried again
    `min_refresh_seconds` later. Dropping them would turn an identity outage into every caller
    of every service being logged out. A key retired meanwhile lingers until identity answers:
    harmless for a routine retirement (identity retires a key only once every token it signed
    has expired, and expiry is checked at each use), the accepted cost for a leaked key retired
    at once (medrec_identity.signing_keys.rotation.retire_now)."""

    def __init__(
        self,
        jwks_url: str,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.cache_seconds = cache_seconds
        # A guard longer than the cache's life would guard nothing: the keys are fetched anyway.
        self.min_refresh_seconds = min(min_refresh_seconds, cache_seconds)
        self.timeout_seconds = timeout_seconds
        self._keys: dict[str, Any] = {}
        self._fresh_until = -math.inf  # monotonic; the keys are fetched again from then on
        self._tried_at = -math.inf  # the last fetch, answered or not
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        self._tried_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
            keys = {
                str(jwk["kid"]): jwt.PyJWK.from_dict(jwk).key for jwk in response.json()["keys"]
            }
        except (
            httpx.HTTPError,
            jwt.PyJWTError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            log.warning(
                "jwks_refresh_failed",
                keys_kept=len(self._keys),
                retry_in_seconds=self.min_refresh_seconds,
                error_type=type(exc).__name__,
            )
            self._fresh_until = self._tried_at + self.min_refresh_seconds
            return
        self._keys = keys
        self._fresh_until = self._tried_at + self.cache_seconds

    async def key(self, kid: str) -> Any:
        if kid in self._keys and (time.monotonic() < self._fresh_until or self._lock.locked()):
            # While one request fetches, the others go on with the keys they have.
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            wanted = kid not in self._keys or now >= self._fresh_until
            if wanted and now - self._tried_at >= self.min_refresh_seconds:
                await self._refresh()
        if kid not in self._keys:
            raise Unauthorized("The token is not valid.")
        return self._keys[kid]


PrincipalCheck = Callable[[Principal, datetime], None]
"""A rule a verified caller is held to at each use, at the service's `now`; it raises a Problem to
refuse. The service's composition hands them to its verifier (`token_verifier`): the guardian
re-check is medrec_shared.rules.guardianship.check_guardian_token."""

VERIFIED_TOKENS = 1024  # tokens remembered as verified, at most (about 1 KB each)


class TokenVerifier:
    """Verifies a token once per key and remembers it: a client sends the same token with every
    request until it expires, and its ES256 check costs more than the rest of the request's
    authentication. A remembered token is trusted only while its kid still resolves to the very
    key object that verified it (so a JWKS refresh, or a key retired from it, means verifying
    again or refusing), and only until its `exp`, checked at each use as `jwt.decode` would."""

    def __init__(
        self,
        jwks: JwksCache,
        *,
        issuer: str,
        audience: str,
        checks: Sequence[PrincipalCheck] = (),
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.checks = tuple(checks)
        self._verified: dict[str, tuple[Any, Principal, float]] = {}  # token: key, it, exp

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            key = await self.jwks.key(str(header.get("kid", "")))
        except (jwt.PyJWTError, httpx.HTTPError, KeyError, ValueError) as exc:
            raise Unauthorized("The token is not valid.") from exc
        known = self._verified.get(token)
        if known is not None:
            known_key, principal, expires = known
            if known_key is key and time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._decode(token, key)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (key, principal, expires)
        return principal

    def admit(self, principal: Principal, now: datetime) -> Principal:
        """The verified caller held to the `checks` at `now`, at every use (never remembered)."""
        for check in self.checks:
            check(principal, now)
        return principal

    def _decode(self, token: str, key: Any) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["ES256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except (jwt.PyJWTError, httpx.HTTPError, KeyError, ValueError) as exc:
            raise Unauthorized("The token is not valid.") from exc
        act = claims.get("act") or {}
        principal = Principal(
            subject=str(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            client_id=claims.get("client_id"),
            institution_codes=frozenset(claims.get("institution_codes", [])),
            person_key=claims.get("person_key"),
            actor=act.get("sub"),
            actor_person_key=act.get("person_key"),
            staff=StaffMember.from_claim(claims.get("staff")),
            claims=claims,
        )
        return principal, float(claims["exp"])


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A bearer token is required.")
    return token.strip()


def token_verifier(settings: ServiceSettings, *, checks: Sequence[PrincipalCheck]) -> TokenVerifier:
    """The API's verifier of bearer tokens, against identity's published keys, holding each
    caller to `checks` at every use (the services' composition passes the guardian re-check)."""
    return TokenVerifier(
        JwksCache(settings.jwks_url, cache_seconds=settings.jwks_cache_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        checks=checks,
    )


async def current_principal(request: Request) -> Principal:
    components = components_of(request)
    verifier = components.token_verifier
    assert verifier is not None, "an API's components carry a token verifier"
    principal = await verifier.verify(bearer_token(request))
    # Re-checked at every use (a guardian's token stops working at midnight in Seoul on the
    # birthday that takes the child past the limit, whatever its expiry says).
    return verifier.admit(principal, components.clock.now())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(*scopes: str) -> Any:
    """`Annotated[Principal, require_scope("admin")]`: authenticated, and holding the scopes."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(*scopes)
        return principal

    dependency.required_scopes = scopes  # type: ignore[attr-defined]  # for the OpenAPI document
    return Depends(dependency)
