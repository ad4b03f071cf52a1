from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from medrec_shared.platform.crypto import Keyring, keyring_from_settings
from medrec_shared.platform.settings import ServiceSettings

MiB = 1024 * 1024


class ContentKeySettings(BaseSettings):
    """Where the key-encryption keys of content come from (ARCHITECTURE.md)."""

    model_config = SettingsConfigDict(env_prefix="MEDREC_INGEST_", extra="ignore", frozen=True)

    # A keyring file {"active": id, "keys": {id: base64}}, re-read while running: keys rotate
    # with no restart (medrec-ingest-keys). When set, content_keys is not used.
    content_keys_file: Path | None = None
    # Or fixed until a restart: "kek-id:base64(32 bytes),..." with one active.
    content_keys: SecretStr | None = None
    content_key_active: str | None = None

    @model_validator(mode="after")
    def _keys_configured(self) -> Self:
        if self.content_keys_file is None and not (self.content_keys and self.content_key_active):
            raise ValueError("content_keys_file, or content_keys with content_key_active, is unset")
        return self

    def keyring(self) -> Keyring:
        spec = self.content_keys.get_secret_value() if self.content_keys else None
        return keyring_from_settings(spec, self.content_key_active, self.content_keys_file)


class IngestSettings(ServiceSettings, ContentKeySettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_INGEST_", extra="ignore", frozen=True)

    api_port: int = 8002
    s3_url: str
    s3_access_key: SecretStr
    s3_secret_key: SecretStr
    records_bucket: str = "medrec-records"
    # Keyed hash of RRNs, shared with identity so a verified person finds their records.
    person_index_key: SecretStr
    # Content sent base64 in a record's JSON (PUT or a batch line); larger content is declared
    # and streamed to the content endpoint.
    inline_content_max_bytes: int = 10 * MiB
    # An ITI-65 Provide Document Bundle (POST /fhir) is parsed whole, its documents inline
    # (each within inline_content_max_bytes): the request holds about twice this while parsing.
    fhir_bundle_max_bytes: int = 64 * MiB
    # Structured records and FHIR bundles are validated whole, so even when streamed they are
    # held in memory up to this size.
    structured_content_max_bytes: int = 64 * MiB
    # Uploads go in 8 MiB parts, and S3 takes 10,000 parts: 78 GiB of ciphertext.
    content_max_bytes: int = 75 * 1024 * MiB
    # A bulk deposit is read line by line and answered as it arrives, so its size bounds only how
    # long one request may stream: as long as the largest content upload.
    batch_max_bytes: int = 75 * 1024 * MiB
    # Bulk deposits are validated, stored and committed in groups of at most this many records
    # or bytes of lines; a group is also answered when no line arrived for batch_flush_seconds.
    batch_group_records: int = 100
    batch_group_bytes: int = 8 * MiB
    batch_flush_seconds: float = 0.1
    # A group's records go into one object, a segment. The worker compacts segments whose live
    # records fill less than segment_live_share of them, and deletes those nothing points into,
    # every segment_sweep_seconds.
    segment_live_share: float = Field(default=0.5, gt=0, le=1)
    segment_sweep_seconds: float = 3600.0
    # A deposit stores its object, then commits the row pointing at it; the same sweep deletes
    # an object no row points at once it is this old (a crash came between the two). Longer
    # than the longest upload: an object uploaded in parts may be dated by its first part.
    orphan_grace_seconds: float = Field(default=86400.0, gt=0)
    # Parts of one large upload sent to S3 at once (memory: about one 8 MiB part each).
    upload_parts_in_flight: int = 3
    # A content upload that receives nothing for this long is abandoned (and aborted).
    content_idle_timeout_seconds: float = 120.0
    # A released transfer's records may be exported by its client for this long, then they are
    # destroyed; the worker looks for such records every release_sweep_seconds.
    release_grace_days: int = 90
    release_sweep_seconds: float = 3600.0
    # issuance's API: a completed transfer's 이관확인서 is read there with the depositor's token.
    issuance_url: str = "http://127.0.0.1:8004"

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        checked: dict[str, SecretStr | None] = {
            "s3_secret_key": self.s3_secret_key,
            "person_index_key": self.person_index_key,
        }
        if self.content_keys_file is None:
            checked["content_keys"] = self.content_keys
        return checked
