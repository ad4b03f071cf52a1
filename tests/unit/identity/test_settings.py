"""Outside the local stack, settings refuse unsafe or missing secrets and sandbox mode."""

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
