"""The console's settings and pure pieces: production refuses an insecure cookie, weak secrets,
plain-http origins for the provider and for its own callback, and names the cookie `__Host-…`;
session ids are the console's own, CSRF tokens bound to their session id, and sign-in only ever
sends a browser back to a path of the console."""

import secrets

import pytest
from pydantic import ValidationError

from medrec_console.pages.signin import safe_next
from medrec_console.security import content_security_policy
from medrec_console.settings import ConsoleSettings
from medrec_shared.platform.frontdoor.sessions import SessionIds, csrf_token, csrf_valid
from tests.support.builders import key_spec


def production(**overrides: object) -> ConsoleSettings:
    values: dict[str, object] = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://u:p@db/console",
        "session_keys": key_spec(),
        "session_key_active": "kek-1",
        "csrf_key": secrets.token_urlsafe(32),
    }
    return ConsoleSettings(**(values | overrides))  # type: ignore[arg-type]


def test_production_keeps_the_cookie_secure_and_the_secrets_real() -> None:
    assert production().cookie_secure is True
    assert production().session_cookie_name == "__Host-medrec_console_session"
    with pytest.raises(ValidationError, match="cookie_secure"):
        production(cookie_secure=False)
    with pytest.raises(ValidationError, match="csrf_key"):
        production(csrf_key="changeme")
    local = production(environment="local", cookie_secure=False)
    assert local.session_cookie_name == "medrec_console_session"


def test_the_provider_and_the_callback_are_https_outside_the_local_stack() -> None:
    signed = production(sign_in="oidc", form_action_origins="https://sso.example.go.kr",
                        public_url="https://console.example.go.kr")  # fmt: skip
    assert signed.form_action_origins == ("https://sso.example.go.kr",)
    with pytest.raises(ValidationError, match="form_action_origins"):
        production(form_action_origins="http://sso.example.go.kr")
    with pytest.raises(ValidationError, match="public_url"):
        production(public_url="http://console.example.go.kr")
    with pytest.raises(ValidationError, match="wildcard"):
        production(form_action_origins="https://*.example.go.kr")
    policy = content_security_policy(signed.form_action_origins)
    assert "form-action 'self' https://sso.example.go.kr" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_session_ids_and_csrf_tokens_are_the_consoles_own() -> None:
    ids = SessionIds(b"k" * 32)
    mine = ids.new()
    assert ids.issued(mine) and not SessionIds(b"x" * 32).issued(mine)
    assert not ids.issued(secrets.token_urlsafe(48)) and not ids.issued(None)
    token = csrf_token(b"k", mine)
    assert csrf_valid(b"k", mine, token) and not csrf_valid(b"k", ids.new(), token)


@pytest.mark.parametrize(
    ("asked", "sent"),
    [("/linkage", "/linkage"), ("//evil.example", "/"), ("https://evil.example", "/"),
     ("/\\evil", "/"), (None, "/")],
)  # fmt: skip
def test_sign_in_only_leads_back_into_the_console(asked: str | None, sent: str) -> None:
    assert safe_next(asked) == sent
