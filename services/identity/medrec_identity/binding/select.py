"""Which identity binding runs: chosen by `MEDREC_IDENTITY_BINDING_SERVICE`."""

import httpx

from medrec_identity.binding.http import HttpIdentityBinding
from medrec_identity.binding.port import IdentityBinding
from medrec_identity.binding.sandbox import SandboxBinding
from medrec_identity.settings import IdentitySettings


def build_binding(settings: IdentitySettings) -> IdentityBinding:
    if settings.binding_service == "http":
        assert settings.binding_url is not None, "checked by the settings"
        token = settings.binding_token
        return HttpIdentityBinding(
            settings.binding_url,
            token.get_secret_value() if token is not None else "",
            httpx.AsyncClient(timeout=settings.binding_timeout_seconds),
        )
    return SandboxBinding()
