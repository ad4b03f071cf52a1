"""identity's discovery documents publish the issuer and endpoints callers outside the cluster
use (the public URL, never the internal service URL), and its OpenAPI document describes the
token endpoint's errors as RFC 6749 bodies, not problems. No database: these routes read only
settings, and the app is not started."""

import asyncio
import base64
import secrets
from typing import Any

import httpx

from medrec_identity.app import create_app
from medrec_identity.settings import IdentitySettings

PUBLIC = "https://id.medrec.example"
STRONG = secrets.token_urlsafe(32)
SETTINGS: dict[str, Any] = {
    "environment": "local",
    "database_url": "postgresql+asyncpg://u@127.0.0.1:1/medrec_identity",
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "identity_url": "http://medrec-identity:8001",
    "public_url": PUBLIC,
    "jwt_issuer": PUBLIC,
    "person_index_key": STRONG,
    "field_keys": f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
    "field_key_active": "kek-1",
}


def fetch(path: str) -> dict[str, Any]:
    app = create_app(IdentitySettings(**SETTINGS))

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    response = asyncio.run(get())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_authorization_server_metadata_names_the_public_issuer_and_endpoints() -> None:
    metadata = fetch("/.well-known/oauth-authorization-server")
    assert metadata["issuer"] == PUBLIC
    assert metadata["token_endpoint"] == f"{PUBLIC}/oauth/token"
    assert metadata["jwks_uri"] == f"{PUBLIC}/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert metadata["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert {"transfer:write", "records:read", "staff:manage"} <= set(metadata["scopes_supported"])
    assert "admin" not in metadata["scopes_supported"]
    assert "medrec-identity" not in str(metadata)


def test_the_openid_configuration_says_the_same() -> None:
    metadata = fetch("/.well-known/oauth-authorization-server")
    configuration = fetch("/.well-known/openid-configuration")
    assert configuration == metadata | {"id_token_signing_alg_values_supported": ["ES256"]}


def test_the_token_endpoints_errors_are_documented_as_oauth_errors() -> None:
    document = fetch("/openapi.json")
    responses = document["paths"]["/oauth/token"]["post"]["responses"]
    for status in ("400", "401", "429"):
        content = responses[status]["content"]
        assert list(content) == ["application/json"], (status, content)
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/OAuthError"}
        assert responses[status]["headers"]["Cache-Control"]["schema"]["enum"] == ["no-store"]
    assert "Retry-After" in responses["429"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    schema = document["components"]["schemas"]["OAuthError"]
    assert schema["required"] == ["error"]
    assert set(schema["properties"]) == {"error", "error_description"}
    assert {"invalid_client", "invalid_grant", "slow_down"} <= set(
        schema["properties"]["error"]["enum"]
    )
    # Other routes' errors stay problems.
    clients = document["paths"]["/v1/clients"]["post"]["responses"]
    assert "application/problem+json" in clients["401"]["content"]
