"""The token endpoint speaks OAuth 2.0, not RFC 9457: its errors are RFC 6749 §5.2 bodies
(`{"error", "error_description"}`, 400, or 401 with `WWW-Authenticate` for `invalid_client`), and
every answer it gives carries `Cache-Control: no-store` and `Pragma: no-cache` (§5.1), so no
cache between a client and identity keeps a token. OAuth client libraries read these codes."""

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


def install_oauth_errors(app: FastAPI) -> None:
    async def on_oauth_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)
        return oauth_error_response(exc)

    app.add_exception_handler(OAuthError, on_oauth_error)


# For the OpenAPI document: what the token endpoint's errors look like.
OAUTH_ERROR_SCHEMA = {
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
OAUTH_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {
        "description": description,
        "content": {"application/json": {"schema": OAUTH_ERROR_SCHEMA}},
    }
    for status, description in (
        (400, "invalid_request, invalid_grant, unsupported_grant_type or invalid_scope"),
        (401, "invalid_client"),
        (429, "slow_down: too many token requests (Retry-After)"),
    )
}
