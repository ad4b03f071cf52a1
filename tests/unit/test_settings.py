"""Outside the local stack, settings refuse unsafe or missing secrets and sandbox mode."""

import base64
import secrets

import pytest
from pydantic import ValidationError

from medrec_identity.settings import IdentitySettings
from medrec_ingest.settings import IngestSettings

STRONG = secrets.token_urlsafe(32)
KEYS = f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def ingest(**overrides: object) -> IngestSettings:
    values: dict[str, object] = {
        "database_url": "postgresql+asyncpg://medrec@db/medrec_ingest",
        "kafka_bootstrap_servers": "kafka:9092",
        "identity_url": "https://identity.medrec.example",
        "s3_url": "https://minio.medrec.example",
        "s3_access_key": "medrec-ingest",
        "s3_secret_key": STRONG,
        "content_keys": KEYS,
        "content_key_active": "kek-1",
        "person_index_key": STRONG,
    }
    return IngestSettings(**(values | overrides))  # type: ignore[arg-type]


def test_production_settings_with_strong_secrets_are_accepted() -> None:
    assert ingest().environment == "production"


@pytest.mark.parametrize("field", ["s3_secret_key", "person_index_key"])
@pytest.mark.parametrize("value", ["minioadmin", "changeme", "short", ""])
def test_unsafe_secrets_are_refused_in_production(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ingest(**{field: value})


def test_the_same_values_are_allowed_in_the_local_stack() -> None:
    assert ingest(environment="local", s3_secret_key="minioadmin").environment == "local"


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


def test_required_settings_have_no_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("MEDREC_"):
            monkeypatch.delenv(name)
    with pytest.raises(ValidationError) as missing:
        IngestSettings()  # type: ignore[call-arg]
    fields = {e["loc"][0] for e in missing.value.errors()}
    assert {"database_url", "content_keys", "person_index_key", "s3_secret_key"} <= fields
