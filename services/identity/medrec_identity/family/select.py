"""Which family registry runs: chosen by `MEDREC_IDENTITY_FAMILY_REGISTRY`."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.family.http import HttpFamilyRegistry
from medrec_identity.family.port import FamilyRegistry
from medrec_identity.family.sandbox import FamilyLinkRepository, SandboxFamilyRegistry
from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.crypto import Keyring


def build_http_registry(settings: IdentitySettings) -> HttpFamilyRegistry | None:
    """The app-wide HTTP connector (its connection pool lives as long as the app), or None."""
    if settings.family_registry != "http":
        return None
    assert settings.family_registry_url is not None, "checked by the settings"
    token = settings.family_registry_token
    return HttpFamilyRegistry(
        settings.family_registry_url,
        token.get_secret_value() if token is not None else "",
        httpx.AsyncClient(timeout=settings.family_registry_timeout_seconds),
    )


def registry_for(
    http: HttpFamilyRegistry | None, session: AsyncSession, keyring: Keyring
) -> FamilyRegistry:
    """The HTTP connector when configured; otherwise the sandbox registry on this request's
    session."""
    if http is not None:
        return http
    return SandboxFamilyRegistry(FamilyLinkRepository(session), keyring)
