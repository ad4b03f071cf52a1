"""Outside the local stack, settings refuse unsafe or missing secrets and sandbox mode."""

from typing import Any

import pytest
from pydantic import ValidationError

from medrec_identity.settings import IdentitySettings
from tests.support.builders import KEYS, STRONG


def test_sandbox_mode_is_refused_in_production() -> None:
    base = {
        "database_url": "postgresql+asyncpg://medrec@db/medrec_identity",
        "kafka_bootstrap_servers": "kafka:9092",
        "admin_client_secret": STRONG,
        "person_index_key": STRONG,
        "field_keys": KEYS,
        "field_key_active": "kek-1",
    }
    with pytest.raises(ValidationError, match="sandbox"):
        IdentitySettings(**base, sandbox=True)  # type: ignore[arg-type]


PRODUCTION: dict[str, Any] = {
    "database_url": "postgresql+asyncpg://medrec@db/medrec_identity",
    "kafka_bootstrap_servers": "kafka:9092",
    "admin_client_secret": STRONG,
    "person_index_key": STRONG,
    "field_keys": KEYS,
    "field_key_active": "kek-1",
    "public_url": "https://id.medrec.example",
    "jwt_issuer": "https://id.medrec.example",
    "verification_provider": "oidc",
    "oidc_issuer": "https://op.example",
    "oidc_client_id": "medrec",
    "oidc_client_secret": STRONG,
    "oidc_redirect_uri": "https://portal.medrec.example/verify/callback",
    "binding_service": "http",
    "binding_url": "https://binding.example",
    "binding_token": STRONG,
    "family_registry": "http",
    "family_registry_url": "https://family.example",
    "family_registry_token": STRONG,
}


def test_production_names_its_machine_account() -> None:
    """No deployment runs with the shared `operator` client of before #27."""
    with pytest.raises(ValidationError, match="admin_client_id"):
        IdentitySettings(**PRODUCTION)
    named = IdentitySettings(**PRODUCTION, admin_client_id="medrec-admin")
    assert named.admin_client_id == "medrec-admin"


def test_staff_sign_in_through_oidc_needs_its_provider() -> None:
    base = PRODUCTION | {"admin_client_id": "medrec-admin", "staff_sign_in": "oidc"}
    with pytest.raises(ValidationError, match="staff_oidc_client_secret"):
        IdentitySettings(**base)
    with pytest.raises(ValidationError, match="https"):
        IdentitySettings(
            **base,
            staff_oidc_issuer="http://idp.example",
            staff_oidc_client_id="medrec-console",
            staff_oidc_client_secret=STRONG,
        )
    done = IdentitySettings(
        **base,
        staff_oidc_issuer="https://idp.example",
        staff_oidc_client_id="medrec-console",
        staff_oidc_client_secret=STRONG,
    )
    assert done.staff_oidc_account_claim == "preferred_username"


def test_a_staff_token_lives_15_minutes_at_most() -> None:
    base = PRODUCTION | {"admin_client_id": "medrec-admin"}
    with pytest.raises(ValidationError, match="staff_token_ttl_seconds"):
        IdentitySettings(**base, staff_token_ttl_seconds=901)
