import json
from typing import Any

from fastapi import APIRouter

from medrec_identity.deps import Session, Settings
from medrec_identity.signing_keys.repository import SigningKeyRepository

router = APIRouter(tags=["discovery"])


@router.get("/.well-known/jwks.json")
async def jwks(session: Session) -> dict[str, Any]:
    keys = await SigningKeyRepository(session).published()
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


@router.get("/.well-known/openid-configuration")
async def openid_configuration(settings: Settings) -> dict[str, Any]:
    base = settings.identity_url.rstrip("/")
    return {
        "issuer": settings.jwt_issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }
