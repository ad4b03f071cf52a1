"""A generic OpenID Connect provider as the verification provider (`VERIFICATION_PROVIDER=oidc`).

OpenID Connect Core 1.0 authorization code flow, with PKCE (RFC 7636, S256) and HTTP Basic
client authentication (`client_secret_basic`):

1. `POST /v1/verifications` (name, RRN, phone as for the sandbox) → :meth:`OidcProvider.begin`
   reads the discovery document `{issuer}/.well-known/openid-configuration` (cached; its `issuer`
   must equal the configured one) and answers `authorization_url`: the authorization endpoint with
   `response_type=code`, `client_id`, `redirect_uri`, `scope`, `state`, `nonce`,
   `code_challenge` and `code_challenge_method=S256`. No personal data goes into that URL. The
   state, nonce and PKCE verifier stay sealed with the verification.
2. The citizen's browser goes there, authenticates with the provider, and comes back to
   `redirect_uri` (the citizen portal) with `code` and `state`.
3. The portal posts `{code, state}` to `/v1/verifications/{id}/confirm` →
   :meth:`OidcProvider.check` compares `state`, exchanges the code at the token endpoint
   (`grant_type=authorization_code`, `code`, `redirect_uri`, `code_verifier`), validates the ID
   token (signature by a key of the provider's JWKS, `alg` RS256 or ES256, `iss`, `aud`, `azp` when
   there are several audiences, `exp`, `iat`, `nonce`) and returns the standard claims `name`,
   `birthdate` and `phone_number` (dropped when `phone_number_verified` is false), and the
   person's CI from the claim `oidc_ci_claim` (default `ci`). The core then requires all three to
   match what the citizen claimed (name, the RRN's birth date, phone), and the identity binding
   to confirm the CI belongs to the RRN typed (medrec_identity.binding): name and birth date are
   shared by many people, the RRN is not.

Tested (tests/integration/identity/test_oidc_provider.py), against a local stand-in provider:
the settings and selection, the authorization URL, the token request, the ID-token checks and the
claim mapping. Not tested against any real provider: a real one may name or format claims
differently (a Korean carrier's CI/DI, birthdates other than YYYY-MM-DD), want other client
authentication (private_key_jwt) or other scopes; expect to adapt :func:`attributes_from`.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from medrec_identity.settings import IdentitySettings
from medrec_identity.verification.port import (
    Challenge,
    Checked,
    ClaimedIdentity,
    Outcome,
    Proof,
    ProviderError,
    ProviderUnavailable,
    VerifiedAttributes,
)
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import ValidationFailed

ID_TOKEN_ALGORITHMS = ("RS256", "ES256")
CLOCK_SKEW_SECONDS = 60
JWKS_MIN_REFRESH_SECONDS = 10.0
log = get_logger(__name__)


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: str
    timeout: float
    ci_claim: str = "ci"

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> "OidcConfig":
        secret = settings.oidc_client_secret
        if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_uri):
            raise ValueError("the OIDC provider needs an issuer, a client id and a redirect URI")
        if secret is None:
            raise ValueError("the OIDC provider needs a client secret")
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value(),
            redirect_uri=settings.oidc_redirect_uri,
            scopes=settings.oidc_scopes,
            timeout=settings.oidc_timeout_seconds,
            ci_claim=settings.oidc_ci_claim,
        )

    def __repr__(self) -> str:  # never show the secret
        return f"OidcConfig(issuer={self.issuer!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding."""
    raw = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def attributes_from(claims: dict[str, Any], ci_claim: str = "ci") -> VerifiedAttributes:
    """The standard claims and the CI the core compares; anything missing or malformed becomes
    None."""
    name = claims.get("name")
    birth: date | None = None
    raw_birth = claims.get("birthdate")
    if isinstance(raw_birth, str):
        try:
            birth = date.fromisoformat(raw_birth)
        except ValueError:
            birth = None
    phone = claims.get("phone_number")
    if claims.get("phone_number_verified") is False or not isinstance(phone, str):
        phone = None
    ci = claims.get(ci_claim)
    return VerifiedAttributes(
        name=name if isinstance(name, str) else None,
        birth_date=birth,
        phone=phone,
        ci=ci if isinstance(ci, str) and ci else None,
    )


class OidcProvider:
    kind = "oidc"

    def __init__(self, config: OidcConfig, http: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.http = http or httpx.AsyncClient(timeout=config.timeout)
        self._metadata: ProviderMetadata | None = None
        self._keys: dict[str, Any] = {}
        self._keys_fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- provider documents -----------------------------------------------------------------------
    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self.http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable("The verification provider did not answer.") from exc
        if response.status_code != 200:
            raise ProviderUnavailable("The verification provider did not answer.")
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError("The verification provider answered nonsense.") from exc
        if not isinstance(body, dict):
            raise ProviderError("The verification provider answered nonsense.")
        return body

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            body = await self._get_json(url)
            if body.get("issuer") != self.config.issuer:
                raise ProviderError("The provider's discovery document names another issuer.")
            try:
                self._metadata = ProviderMetadata(
                    issuer=str(body["issuer"]),
                    authorization_endpoint=str(body["authorization_endpoint"]),
                    token_endpoint=str(body["token_endpoint"]),
                    jwks_uri=str(body["jwks_uri"]),
                )
            except KeyError as exc:
                raise ProviderError("The provider's discovery document is incomplete.") from exc
        return self._metadata

    async def _key(self, kid: str | None) -> Any:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid is not None and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            stale = time.monotonic() - self._keys_fetched_at > JWKS_MIN_REFRESH_SECONDS
            if stale and (kid is None or kid not in self._keys):
                body = await self._get_json((await self.metadata()).jwks_uri)
                keys: dict[str, Any] = {}
                for jwk in body.get("keys", []):
                    try:
                        keys[str(jwk.get("kid", ""))] = jwt.PyJWK.from_dict(jwk).key
                    except (jwt.PyJWTError, KeyError, ValueError):
                        continue  # a key type we do not use
                self._keys, self._keys_fetched_at = keys, time.monotonic()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid is None or kid not in self._keys:
            raise ProviderError("The provider signed with a key it does not publish.")
        return self._keys[kid]

    # -- the port ---------------------------------------------------------------------------------
    async def authorization_url(
        self, *, state: str, nonce: str, verifier: str, redirect_uri: str
    ) -> str:
        """The provider's authorization endpoint for this flow (staff sign-in shares it)."""
        meta = await self.metadata()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.config.scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": pkce_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in meta.authorization_endpoint else "?"
        return meta.authorization_endpoint + separator + query

    async def begin(self, verification_id: uuid.UUID, claimed: ClaimedIdentity) -> Challenge:
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        url = await self.authorization_url(
            state=state, nonce=nonce, verifier=verifier, redirect_uri=self.config.redirect_uri
        )
        saved = {"state": state, "nonce": nonce, "code_verifier": verifier}
        return Challenge(state=json.dumps(saved).encode(), public={"authorization_url": url})

    def validate_proof(self, proof: Proof) -> None:
        if not proof.state:
            raise ValidationFailed(
                errors=[{"field": "state", "message": "required with this verification provider"}]
            )

    async def check(self, verification_id: uuid.UUID, state: bytes, proof: Proof) -> Checked:
        saved = json.loads(state)
        if not hmac.compare_digest(str(saved["state"]).encode(), (proof.state or "").encode()):
            return Checked(Outcome.WRONG)
        claims = await self.exchange(proof.code, self.config.redirect_uri, saved["code_verifier"])
        if claims is None:
            return Checked(Outcome.WRONG)  # an unknown, used or expired authorization code
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), saved["nonce"].encode()):
            return Checked(Outcome.WRONG)  # an ID token minted for another authorization
        return Checked(Outcome.CONFIRMED, attributes_from(claims, self.config.ci_claim))

    async def exchange(
        self, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any] | None:
        """The code exchanged at the token endpoint for an ID token, its claims verified (the
        nonce is the caller's to compare); None when the provider says the code is no good."""
        meta = await self.metadata()
        try:
            response = await self.http.post(
                meta.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                },
                headers={
                    "Authorization": basic_authorization(
                        self.config.client_id, self.config.client_secret
                    ),
                    "Accept": "application/json",
                },
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable("The verification provider did not answer.") from exc
        if response.status_code == 400 and _oauth_error(response) == "invalid_grant":
            return None
        if response.status_code >= 500:
            raise ProviderUnavailable("The verification provider did not answer.")
        if response.status_code != 200:
            log.warning("oidc_token_refused", status=response.status_code)
            raise ProviderError("The verification provider refused the token request.")
        try:
            id_token = str(response.json()["id_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError("The provider's token response has no ID token.") from exc
        return await self.verify_id_token(id_token)

    async def verify_id_token(self, id_token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise ProviderError("The provider's ID token is not valid.") from exc
        algorithm = header.get("alg")
        if algorithm not in ID_TOKEN_ALGORITHMS:
            raise ProviderError("The provider's ID token uses an algorithm we do not accept.")
        key = await self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=[algorithm],
                audience=self.config.client_id,
                issuer=self.config.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise ProviderError("The provider's ID token is not valid.") from exc
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.config.client_id:
            raise ProviderError("The provider's ID token is for another party.")
        return claims


def _oauth_error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) else None
