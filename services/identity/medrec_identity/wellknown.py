"""identity's discovery documents: the JWKS, RFC 8414 authorization server metadata and the
OpenID configuration. The issuer is `jwt_issuer`, the `iss` of every token identity signs (and
what every service checks); the endpoints are absolute on `public_url`, where callers outside
the cluster reach identity, never on the internal service URL."""

import json
from typing import Any

from fastapi import APIRouter

from medrec_identity.clients.schemas import KNOWN_SCOPES
from medrec_identity.deps import Session, Settings
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.repository import SigningKeyRepository

router = APIRouter(tags=["discovery"])


@router.get("/.well-known/jwks.json")
async def jwks(session: Session) -> dict[str, Any]:
    keys = await SigningKeyRepository(session).published()
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


def server_metadata(settings: IdentitySettings) -> dict[str, Any]:
    """RFC 8414 §2: only the client credentials grant, at the token endpoint, so no
    authorization endpoint and no response types."""
    base = settings.public_base_url
    return {
        "issuer": settings.jwt_issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": sorted(KNOWN_SCOPES),
        "response_types_supported": [],
    }


@router.get("/.well-known/oauth-authorization-server")
async def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    return server_metadata(settings)


@router.get("/.well-known/openid-configuration")
async def openid_configuration(settings: Settings) -> dict[str, Any]:
    return server_metadata(settings) | {"id_token_signing_alg_values_supported": ["ES256"]}
