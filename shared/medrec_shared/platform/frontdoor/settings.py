"""The settings both front doors have: where their database and the APIs they call are, the keys
of their sessions and forms, the session cookie and the origins a form may lead to. Each front
door subclasses with its own env prefix (MEDREC_PORTAL_*, MEDREC_CONSOLE_*), its port, its
cookie's name and whatever only it has (the console's ingest, sign-in and public URL).

Outside the local stack the cookie is always Secure, `__Host-` prefixed, a form leads only to
https:// origins, and the secrets must be real ones: a pod that forgot one fails at start-up."""

from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from medrec_shared.platform.settings import MIN_SECRET_LENGTH, UNSAFE_SECRETS

HOST_PREFIX = "__Host-"


class FrontDoorSettings(BaseSettings):
    environment: Literal["local", "production"] = "production"
    log_level: str = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int
    # As the services: the proxies whose X-Forwarded-* uvicorn believes, never "*".
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # As the services: Prometheus /metrics on a port of its own (never on api_port); 0: none.
    api_metrics_port: int = Field(default=0, ge=0, le=65535)
    # Bind api_port with SO_REUSEPORT, so several processes on one machine share it (the local
    # stack's replicas); off in Kubernetes, where each pod has an address of its own.
    api_reuse_port: bool = False
    database_url: str = Field(description="postgresql+asyncpg://user:pass@host:port/db")
    database_pool_size: int = Field(default=5, ge=1)
    identity_url: str = "http://127.0.0.1:8001"
    catalog_url: str = "http://127.0.0.1:8003"
    issuance_url: str = "http://127.0.0.1:8004"
    # Seals each session's tokens in the database (medrec_shared.platform.crypto.seal): a copied
    # table, or a backup, holds no usable token. "kek-id:base64key[,…]" and the active id, as the
    # services' keyrings; an old id kept in the spec still opens the sessions it sealed.
    session_keys: SecretStr
    session_key_active: str
    # The HMAC key of the CSRF tokens (each is bound to the session id of the browser).
    csrf_key: SecretStr
    # The cookie's Secure flag: off only in the local stack, which serves plain http on
    # localhost; production refuses to start without it.
    cookie_secure: bool = True
    # The cookie's name (each front door its own); outside the local stack the browser is given
    # it `__Host-` prefixed (`session_cookie_name`).
    cookie_name: str
    # A session ends after this long without a request (and never outlives the token it holds).
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    api_timeout_seconds: float = 30.0
    # Expired sessions are deleted this often by every replica (one DELETE … WHERE expires_at <=
    # now: replicas purging at once delete nothing twice). An expired row never signs anyone in
    # before then either: it is only the table kept small.
    session_purge_seconds: float = Field(default=300.0, gt=0)
    # The origins a form may lead to besides the front door's own (CSP form-action, which
    # browsers apply to a form's redirects too): an OpenID Connect provider's, where signing in
    # sends the browser. Comma separated, scheme://host.
    form_action_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Local stack only: "now" read from this file (as the services' clocks), for session expiry.
    clock_file: Path | None = None

    @property
    def session_cookie_name(self) -> str:
        """`__Host-` outside the local stack: the browser then takes the cookie only Secure, for
        Path=/ and without Domain, from this very host, so no sibling host can set it (a way
        to plant a session id). The local stack serves plain http, where a prefixed cookie
        would be refused."""
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

    def _refuse_plain_urls(self) -> None:
        """A front door's own URLs that must be https:// outside the local stack (none here)."""

    @model_validator(mode="after")
    def _safe_outside_the_local_stack(self) -> Self:
        if self.environment == "local":
            return self
        if not self.cookie_secure:
            raise ValueError("cookie_secure may be off only in the local stack")
        if any(not origin.startswith("https://") for origin in self.form_action_origins):
            raise ValueError("form_action_origins must be https:// outside the local stack")
        self._refuse_plain_urls()
        for name in ("session_keys", "csrf_key"):
            value = getattr(self, name).get_secret_value()
            if value.lower() in UNSAFE_SECRETS or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(f"{name} must be a real secret outside the local stack")
        return self
