"""Outside the local stack, settings refuse unsafe or missing secrets and sandbox mode."""

import base64
import json
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from medrec_ingest.settings import IngestSettings
from medrec_shared.platform.crypto import FileKeyring
from tests.support.builders import ingest


def test_production_settings_with_strong_secrets_are_accepted() -> None:
    assert ingest().environment == "production"


@pytest.mark.parametrize("field", ["s3_secret_key", "person_index_key"])
@pytest.mark.parametrize("value", ["minioadmin", "changeme", "short", ""])
def test_unsafe_secrets_are_refused_in_production(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ingest(**{field: value})


def test_the_same_values_are_allowed_in_the_local_stack() -> None:
    assert ingest(environment="local", s3_secret_key="minioadmin").environment == "local"


def test_required_settings_have_no_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("MEDREC_"):
            monkeypatch.delenv(name)
    with pytest.raises(ValidationError) as missing:
        IngestSettings()
    fields = {e["loc"][0] for e in missing.value.errors()}
    assert {"database_url", "person_index_key", "s3_secret_key"} <= fields


def test_a_keyring_file_or_a_key_spec_is_required() -> None:
    with pytest.raises(ValidationError, match="content_keys"):
        ingest(content_keys=None, content_key_active=None)
    with pytest.raises(ValidationError, match="content_keys"):
        ingest(content_key_active=None)


def test_a_keyring_file_takes_the_place_of_the_key_spec(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    path.write_text(json.dumps({"active": "kek-9", "keys": {"kek-9": key}}))
    settings = ingest(content_keys=None, content_key_active=None, content_keys_file=path)
    keyring = settings.keyring()
    assert isinstance(keyring, FileKeyring) and keyring.active_kek_id == "kek-9"
    both = ingest(content_keys_file=path).keyring()
    assert both.active_kek_id == "kek-9", "the file wins over the spec"
    assert ingest().keyring().active_kek_id == "kek-1"


def test_trusted_proxies_default_to_loopback_and_take_addresses_or_cidrs() -> None:
    assert ingest().forwarded_allow_ips == "127.0.0.1,::1"
    assert ingest(forwarded_allow_ips=" 10.244.0.0/16, fd00::/8 ").forwarded_allow_ips == (
        "10.244.0.0/16,fd00::/8"
    )
    assert ingest(forwarded_allow_ips="").forwarded_allow_ips == ""  # no proxy trusted


@pytest.mark.parametrize("value", ["*", "10.0.0.0/8,*", "ingress-nginx", "10.0.0.0/33"])
def test_trusting_every_proxy_or_a_name_is_refused(value: str) -> None:
    """'*' would let any caller name its own address and escape every per-address limit."""
    with pytest.raises(ValidationError, match="forwarded_allow_ips"):
        ingest(forwarded_allow_ips=value)
