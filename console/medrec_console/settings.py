"""The console's settings (MEDREC_CONSOLE_*). The console holds no Kafka, object store or keys of
the records: only its database (sessions), the four APIs it calls and the key that seals the
staff's tokens in that database.

What both front doors have is medrec_shared.platform.frontdoor.settings (outside the local stack
the cookie is always Secure, `__Host-` prefixed, and the secrets must be real ones); what is only
the console's is here, its public URL https:// outside the local stack too."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from medrec_shared.platform.frontdoor.settings import FrontDoorSettings


class ConsoleSettings(FrontDoorSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_CONSOLE_", extra="ignore", frozen=True)

    api_port: int = 8005
    ingest_url: str = "http://127.0.0.1:8002"
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
    # How staff sign in: "password" (identity's accounts: password and one-time password) or
    # "oidc" (the organisation's OpenID Connect provider, through identity; identity's
    # MEDREC_STAFF_SIGN_IN must say the same). With "oidc", `form_action_origins` names the
    # provider's origin, where 로그인 sends the browser.
    sign_in: Literal["password", "oidc"] = "password"
    # The console's own origin as browsers reach it (https://console.example): the provider
    # sends the browser back to <public_url>/signin/callback. Unset, the request's own origin.
    public_url: str | None = None

    def _refuse_plain_urls(self) -> None:
        if self.public_url is not None and not self.public_url.startswith("https://"):
            raise ValueError("public_url must be https:// outside the local stack")
