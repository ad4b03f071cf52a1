from typing import Literal, Self

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from medrec_shared.platform.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_CATALOG_", extra="ignore", frozen=True)

    api_port: int = 8003
    ingest_url: str = "http://127.0.0.1:8002"
    # catalog's own client credentials: scope metadata:read for ingest's internal API (the worker),
    # demographics:read for ingest's and identity's, in an operator's linkage review (the api);
    # content:read for ingest's content, in a subject's own export ($everything, the api)
    client_id: str
    client_secret: SecretStr
    retention_sweep_seconds: float = 3600.0
    # Notices (notices/sender.py): sandbox keeps them in 알림함 with a log line; http sends them
    # through an SMS/알림톡 provider at `notice_sender_url` with `notice_sender_key`.
    notice_sender: Literal["sandbox", "http"] = "sandbox"
    notice_sender_url: str | None = None
    notice_sender_key: SecretStr | None = None
    notice_delivery_seconds: float = 5.0

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        secrets: dict[str, SecretStr | None] = {"client_secret": self.client_secret}
        if self.notice_sender == "http":
            secrets["notice_sender_key"] = self.notice_sender_key
        return secrets

    @model_validator(mode="after")
    def _http_sender_needs_its_provider(self) -> Self:
        if self.notice_sender == "http" and not (self.notice_sender_url and self.notice_sender_key):
            raise ValueError("notice_sender http needs notice_sender_url and notice_sender_key")
        return self
