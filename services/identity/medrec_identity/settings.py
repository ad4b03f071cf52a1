from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from medrec_shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_IDENTITY_", extra="ignore", frozen=True)

    identity_url: str = "http://127.0.0.1:8001"
    sandbox: bool = False
    admin_client_id: str = "operator"
    admin_client_secret: SecretStr | None = None
    # Keyed hash of RRNs: the same key as ingest's, so a verified person finds their records.
    person_index_key: SecretStr
    # Encrypts RRNs, names and the token signing keys at rest.
    field_keys: SecretStr  # "kek-id:base64,..." as medrec_shared.crypto.LocalKeyring.from_spec
    field_key_active: str
    client_token_ttl_seconds: int = 3600
    citizen_token_ttl_seconds: int = 900
    verification_ttl_seconds: int = 180
    verification_max_attempts: int = 5

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {
            "admin_client_secret": self.admin_client_secret,
            "person_index_key": self.person_index_key,
            "field_keys": self.field_keys,
        }
