from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from medrec_shared.platform.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_CATALOG_", extra="ignore", frozen=True)

    api_port: int = 8003
    ingest_url: str = "http://127.0.0.1:8002"
    # catalog's own client credentials: scope metadata:read for ingest's internal API (the worker),
    # demographics:read for ingest's and identity's, in an operator's linkage review (the api)
    client_id: str
    client_secret: SecretStr
    retention_sweep_seconds: float = 3600.0

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {"client_secret": self.client_secret}
