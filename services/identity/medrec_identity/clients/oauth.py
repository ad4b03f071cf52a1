"""The token endpoint speaks OAuth 2.0, not RFC 9457: its errors are RFC 6749 §5.2 bodies
(`{"error", "error_description"}`, 400, or 401 with `WWW-Authenticate` for `invalid_client`), and
every answer it gives carries `Cache-Control: no-store` and `Pragma: no-cache` (§5.1), so no
cache between a client and identity keeps a token. OAuth client libraries read these codes."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# RFC 6749 §5.1: the token response, and (harmlessly) its errors, are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    status: int = 400
    error: str = "invalid_request"

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = headers or {}


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    status, error = 401, "invalid_client"

    def __init__(self, description: str) -> None:
        # §5.2: a 401 names the authentication scheme the client must use.
        super().__init__(description, headers={"WWW-Authenticate": 'Basic realm="medrec"'})


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class SlowDown(OAuthError):
    """429 with Retry-After: RFC 6749 has no code for a rate limit; `slow_down` is the one the
    OAuth error registry holds for the token endpoint (RFC 8628 §3.5)."""

    status, error = 429, "slow_down"

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(description, headers={"Retry-After": str(retry_after)})


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=NO_STORE | exc.headers,
    )


TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret


def install_oauth_errors(app: FastAPI) -> None:
    """The handler, and the OpenAPI document saying what it answers: every service's document
    describes errors as problems (medrec_shared.platform.openapi), the token endpoint's are put
    back."""

    async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        return oauth_error_response(exc)

    app.add_exception_handler(OAuthError, on_oauth_error)
    completed = app.openapi

    def openapi() -> dict[str, Any]:
        document = completed()
        operation = document["paths"][TOKEN_PATH]["post"]
        errors = {str(status): response for status, response in OAUTH_ERROR_RESPONSES.items()}
        operation["responses"].update(errors)
        document["components"]["schemas"]["OAuthError"] = OAUTH_ERROR_SCHEMA
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# For the OpenAPI document: what the token endpoint's errors look like.
OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OAuthError",
    "description": "RFC 6749 §5.2 error response (not a problem: OAuth clients read this)",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "string",
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unsupported_grant_type",
                "invalid_scope",
                "slow_down",
            ],
        },
        "error_description": {"type": "string"},
    },
}
_OAUTH_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}
_NO_STORE_HEADERS = {
    name: {"schema": {"type": "string", "enum": [value]}} for name, value in NO_STORE.items()
}
OAUTH_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "invalid_request, invalid_grant, unsupported_grant_type or invalid_scope",
        "content": _OAUTH_ERROR_CONTENT,
        "headers": _NO_STORE_HEADERS,
    },
    401: {
        "description": "invalid_client: unknown client, wrong secret, or no Basic credentials",
        "content": _OAUTH_ERROR_CONTENT,
        "headers": _NO_STORE_HEADERS
        | {"WWW-Authenticate": {"schema": {"type": "string", "example": 'Basic realm="medrec"'}}},
    },
    429: {
        "description": "slow_down: too many token requests from this address, or too many "
        "failed ones for this client from it",
        "content": _OAUTH_ERROR_CONTENT,
        "headers": _NO_STORE_HEADERS
        | {
            "Retry-After": {
                "description": "seconds until a request may be counted again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}
