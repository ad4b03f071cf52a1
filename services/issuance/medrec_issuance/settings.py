from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from medrec_shared.settings import ServiceSettings


class IssuanceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_ISSUANCE_", extra="ignore", frozen=True)

    api_port: int = 8004
    public_url: str = "http://127.0.0.1:8004"  # printed in the QR code of every copy
    catalog_url: str = "http://127.0.0.1:8003"
    ingest_url: str = "http://127.0.0.1:8002"
    # issuance's own client credentials (scopes content:read catalog:read)
    client_id: str
    client_secret: SecretStr
    s3_url: str
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    copies_bucket: str = "medrec-copies"
    content_keys: SecretStr
    content_key_active: str
    # Keyed hash of RRNs (shared with identity and ingest): finds a patient named in a relative's
    # or proxy's request.
    person_index_key: SecretStr
    copy_valid_days: int = 90
    # The public check is open to anyone: limited per client address (sliding window).
    verify_limit_per_client: int = 30
    verify_limit_window_seconds: int = 60
    max_records_per_copy: int = 100
    # The public check takes an uploaded copy of at most this size (the largest copy issued),
    # from anyone: the request body is bounded at this and a form's few KiB (bodies.py).
    verify_upload_max_bytes: int = 100 * 1024 * 1024

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {
            "client_secret": self.client_secret,
            "s3_secret_key": self.s3_secret_key,
            "content_keys": self.content_keys,
            "person_index_key": self.person_index_key,
        }
