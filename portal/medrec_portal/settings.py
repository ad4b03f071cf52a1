"""The portal's settings (MEDREC_PORTAL_*). The portal holds no Kafka, object store or keys of
the records: only its database (sessions), the three APIs it calls and the key that seals the
citizens' tokens in that database.

What both front doors have is medrec_shared.platform.frontdoor.settings (outside the local stack
the cookie is always Secure, `__Host-` prefixed, and the secrets must be real ones); what is only
the portal's is here: its uploads' bounds. With identity's OpenID Connect provider,
`form_action_origins` names the provider's authorization endpoint, where 본인인증 sends the
browser."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from medrec_shared.platform.frontdoor.settings import FrontDoorSettings


class PortalSettings(FrontDoorSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_PORTAL_", extra="ignore", frozen=True)

    api_port: int = 8000
    cookie_name: str = "medrec_portal_session"
    # A session ends after this long without a request (and never outlives the citizen's token).
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    # The documents of an Art. 21 request, each (a scanned form is a few MiB): issuance's cap
    # (medrec_issuance.proxies.endpoints.MAX_DOCUMENT).
    proxy_document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # A copy uploaded to 진위확인, streamed on to issuance: issuance's cap (copy_max_bytes, the
    # largest copy it issues), so the portal refuses what issuance would.
    verify_upload_max_bytes: int = Field(default=128 * 1024 * 1024, ge=1024)
