"""Which verification provider runs: chosen by `MEDREC_IDENTITY_VERIFICATION_PROVIDER`."""

import httpx

from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_identity.verification.oidc import OidcConfig, OidcProvider
from medrec_identity.verification.port import VerificationProvider
from medrec_identity.verification.sandbox import SandboxProvider


def build_provider(
    settings: IdentitySettings, keys: IdentityKeys, http: httpx.AsyncClient | None = None
) -> VerificationProvider:
    if settings.verification_provider == "oidc":
        return OidcProvider(OidcConfig.from_settings(settings), http)
    return SandboxProvider(keys, reveal=settings.sandbox)
