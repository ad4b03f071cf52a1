from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from medrec_shared.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_INGEST_", extra="ignore", frozen=True)

    api_port: int = 8002
    s3_url: str
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    records_bucket: str = "medrec-records"
    # Key-encryption keys: "kek-id:base64(32 bytes),..." with one active (ARCHITECTURE.md).
    content_keys: SecretStr
    content_key_active: str
    # Keyed hash of RRNs, shared with identity so a verified person finds their records.
    person_index_key: SecretStr
    inline_content_max_bytes: int = 10 * 1024 * 1024

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {
            "s3_secret_key": self.s3_secret_key,
            "content_keys": self.content_keys,
            "person_index_key": self.person_index_key,
        }
