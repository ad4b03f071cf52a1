"""The console's settings (MEDREC_CONSOLE_*). The console holds no Kafka, object store or keys of
the records: only its database (sessions), the four APIs it calls and the key that seals the
staff's tokens in that database.

Outside the local stack the cookie is always Secure, `__Host-` prefixed, and the secrets must be
real ones."""

from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from medrec_shared.platform.settings import MIN_SECRET_LENGTH, UNSAFE_SECRETS

HOST_PREFIX = "__Host-"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_CONSOLE_", extra="ignore", frozen=True)

    environment: Literal["local", "production"] = "production"
    log_level: str = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = 8005
    # As the services: the proxies whose X-Forwarded-* uvicorn believes, never "*".
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # As the services: Prometheus /metrics on a port of its own (never on api_port); 0: none.
    api_metrics_port: int = Field(default=0, ge=0, le=65535)
    database_url: str = Field(description="postgresql+asyncpg://user:pass@host:port/db")
    database_pool_size: int = Field(default=5, ge=1)
    identity_url: str = "http://127.0.0.1:8001"
    ingest_url: str = "http://127.0.0.1:8002"
    catalog_url: str = "http://127.0.0.1:8003"
    issuance_url: str = "http://127.0.0.1:8004"
    # Seals each session's tokens (identity's session token and the access token) in the
    # database: a copied table, or a backup, holds no usable token. "kek-id:base64key[,…]" and
    # the active id, as the services' keyrings.
    session_keys: SecretStr
    session_key_active: str
    # The HMAC key of the CSRF tokens (each is bound to the browser's session id).
    csrf_key: SecretStr
    # The cookie's Secure flag: off only in the local stack (plain http on localhost).
    cookie_secure: bool = True
    cookie_name: str = "medrec_console_session"
    # A session ends after this long without a request, and never outlives identity's session
    # (8 hours from signing in, DOMAIN.md "Actors"; identity holds that limit).
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    # The access token is refreshed through identity when it has less than this left.
    token_refresh_margin_seconds: int = Field(default=60, ge=0)
    # A proxy request's document as issuance keeps it (medrec_issuance.proxies MAX_DOCUMENT); a
    # bigger answer is not rendered.
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A PDF's pages shown at most; the rest are said to exist, not rendered.
    document_max_pages: int = Field(default=20, ge=1)
    api_timeout_seconds: float = 30.0
    # Expired sessions are deleted this often by every replica.
    session_purge_seconds: float = Field(default=300.0, gt=0)
    # How staff sign in: "password" (identity's accounts: password and one-time password) or
    # "oidc" (the organisation's OpenID Connect provider, through identity; identity's
    # MEDREC_STAFF_SIGN_IN must say the same).
    sign_in: Literal["password", "oidc"] = "password"
    # The console's own origin as browsers reach it (https://console.example): the provider
    # sends the browser back to <public_url>/signin/callback. Unset, the request's own origin.
    public_url: str | None = None
    # The origins a form may lead to besides the console's own (CSP form-action, which browsers
    # apply to a form's redirects too): with "oidc", the provider's, where 로그인 sends the
    # browser. Comma separated, scheme://host.
    form_action_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Local stack only: "now" read from this file (as the services' clocks), for session expiry.
    clock_file: Path | None = None

    @property
    def session_cookie_name(self) -> str:
        """`__Host-` outside the local stack (Secure, Path=/, no Domain: no sibling host can
        plant it); the local stack serves plain http, where a prefixed cookie is refused."""
        if self.environment == "local":
            return self.cookie_name
        return HOST_PREFIX + self.cookie_name.removeprefix(HOST_PREFIX)

    @field_validator("form_action_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("form_action_origins")
    @classmethod
    def _explicit_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or "*" in origin:
                raise ValueError("a form-action origin is scheme://host[:port], never a wildcard")
            if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
                raise ValueError("a form-action origin has no path, query or credentials")
            if any(c in origin for c in " ;,'"):
                raise ValueError("a form-action origin is one origin")
        return tuple(o.rstrip("/") for o in origins)

    @model_validator(mode="after")
    def _safe_outside_the_local_stack(self) -> Self:
        if self.environment == "local":
            return self
        if not self.cookie_secure:
            raise ValueError("cookie_secure may be off only in the local stack")
        if any(not origin.startswith("https://") for origin in self.form_action_origins):
            raise ValueError("form_action_origins must be https:// outside the local stack")
        if self.public_url is not None and not self.public_url.startswith("https://"):
            raise ValueError("public_url must be https:// outside the local stack")
        for name in ("session_keys", "csrf_key"):
            value = getattr(self, name).get_secret_value()
            if value.lower() in UNSAFE_SECRETS or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(f"{name} must be a real secret outside the local stack")
        return self
