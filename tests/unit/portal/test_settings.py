"""The portal's pure pieces: production refuses an insecure cookie and weak secrets and names it
`__Host-…`, session ids are the portal's own, CSRF tokens are bound to their session id, a
session's content is sealed to its row, the uploads' caps are issuance's, and sign-in only ever
sends a browser back to a path of the portal."""

import asyncio
import secrets

import httpx
import pytest
from pydantic import ValidationError

from medrec_issuance.proxies.endpoints import DOCUMENT_KINDS, MAX_DOCUMENT
from medrec_issuance.settings import IssuanceSettings
from medrec_portal.app import create_app
from medrec_portal.bodies import FORM_ALLOWANCE, body_limits
from medrec_portal.security import content_security_policy
from medrec_portal.settings import PortalSettings
from tests.support.builders import key_spec


def production(**overrides: object) -> PortalSettings:
    values: dict[str, object] = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://u:p@db/portal",
        "session_keys": key_spec(),
        "session_key_active": "kek-1",
        "csrf_key": secrets.token_urlsafe(32),
    }
    return PortalSettings(**(values | overrides))  # type: ignore[arg-type]


def test_production_keeps_the_cookie_secure_and_the_secrets_real() -> None:
    assert production().cookie_secure is True
    with pytest.raises(ValidationError, match="cookie_secure"):
        production(cookie_secure=False)
    with pytest.raises(ValidationError, match="csrf_key"):
        production(csrf_key="changeme")
    assert production(environment="local", cookie_secure=False).cookie_secure is False


def test_outside_the_local_stack_the_cookie_is_host_prefixed_secure_and_hosts_only() -> None:
    assert production().session_cookie_name == "__Host-medrec_portal_session"
    assert production(cookie_name="__Host-x").session_cookie_name == "__Host-x"
    local = production(environment="local", cookie_secure=False)
    assert local.session_cookie_name == "medrec_portal_session"

    async def first_answer() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(production()))
        async with httpx.AsyncClient(transport=transport, base_url="https://portal") as client:
            return await client.get("/healthz")

    cookie = asyncio.run(first_answer()).headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    attributes = [a.strip() for a in rest.split(";")[1:]]
    assert name == "__Host-medrec_portal_session"
    assert "Secure" in attributes and "Path=/" in attributes
    assert not any(a.lower().startswith("domain") for a in attributes)


def test_the_portal_takes_the_uploads_issuance_takes_and_no_more() -> None:
    portal = production()
    issuance_copy = IssuanceSettings.model_fields["copy_max_bytes"].default
    assert portal.verify_upload_max_bytes == issuance_copy
    assert portal.proxy_document_max_bytes == MAX_DOCUMENT
    limits = body_limits(portal)
    assert limits[("POST", "/verify")] == issuance_copy + FORM_ALLOWANCE
    assert limits[("POST", "/proxy")] == len(DOCUMENT_KINDS) * MAX_DOCUMENT + FORM_ALLOWANCE


def test_forms_lead_only_to_the_portal_and_the_origins_configured() -> None:
    assert "form-action 'self';" in content_security_policy()
    policy = content_security_policy(("https://verify.example.org",))
    assert "form-action 'self' https://verify.example.org;" in policy
    assert production().form_action_origins == ()
    configured = production(form_action_origins="https://verify.example.org/, https://b.example")
    assert configured.form_action_origins == ("https://verify.example.org", "https://b.example")
    for bad in ("*", "https://*.example.org", "https://a.example/path", "verify.example.org",
                "https://a.example 'unsafe-inline'", "http://verify.example.org"):  # fmt: skip
        with pytest.raises(ValidationError, match=r"form_action_origins|form-action origin"):
            production(form_action_origins=bad)
    local = production(environment="local", form_action_origins="http://127.0.0.1:9999")
    assert local.form_action_origins == ("http://127.0.0.1:9999",)


def test_the_purge_interval_is_a_positive_setting() -> None:
    assert production().session_purge_seconds == 300
    assert production(session_purge_seconds=0.5).session_purge_seconds == 0.5
    with pytest.raises(ValidationError):
        production(session_purge_seconds=0)
