"""Settings every service shares; each service subclasses with its own env prefix (MEDREC_<NAME>_).

Outside the local stack (`environment != "local"`) unsafe defaults are refused at start-up, so a
production pod that forgot a secret fails loudly instead of running with a development value.
"""

import ipaddress
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from medrec_shared.platform.kafka import KafkaAccess, SaslMechanism, SecurityProtocol

# Values that must never protect real data: development defaults and well-known sample secrets.
UNSAFE_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "minioadmin", "testing"}
)
MIN_SECRET_LENGTH = 16

TopicSetting = Literal["topic_transfer", "topic_record", "topic_issuance", "topic_audit"]
"""The settings that name the event topics (which events go on which is the rules' matter:
medrec_shared.rules.topics)."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDREC_", extra="ignore", frozen=True)

    environment: Literal["local", "production"] = "production"
    log_level: str = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The proxies whose X-Forwarded-For and X-Forwarded-Proto uvicorn believes: addresses or
    # CIDRs, comma-separated (in Kubernetes, the ingress controller's and the portal's pod pool,
    # never the pod network). Every other peer is taken at its own address, whatever it sends.
    # Never "*": any caller could then name a fresh address per request and escape every
    # per-address limit. Empty: trust no proxy.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Prometheus /metrics on a port of its own, on api_host; 0: none. The API's (requests,
    # latencies) is never on api_port: the public port answers 404 there, and the network lets
    # only the monitoring namespace reach this one (Kubernetes: 9100 on every pod).
    api_metrics_port: int = Field(default=0, ge=0, le=65535)
    # Bind api_port with SO_REUSEPORT, so several processes on one machine share it (the local
    # stack's replicas); off in Kubernetes, where each pod has an address of its own.
    api_reuse_port: bool = False
    # The worker's (events handled, relayed, stuck).
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    database_url: str = Field(description="postgresql+asyncpg://user:pass@host:port/db")
    database_pool_size: int = Field(default=10, ge=1, description="plus as many overflow")
    # The worker's alone (its outbox relay and consumers): the API writes events to the outbox
    # table and never speaks to Kafka, so an API pod holds no broker address or credentials and
    # a compromised one cannot forge events. Empty: no broker (the worker refuses to start).
    kafka_bootstrap_servers: str = Field(default="", description="host:port[,host:port]")
    kafka_idempotence: bool = False
    kafka_client_id_prefix: str = "medrec"
    # The consumer group of the service's worker; empty: the service's name. Two deployments
    # sharing one Kafka cluster (a blue/green cut-over, a staging copy) each set their own.
    kafka_consumer_group: str = ""
    # Kafka over TLS with SASL/SCRAM, as Strimzi's tls listener takes it (a KafkaUser per
    # service, its password in the Secret the User Operator makes). PLAINTEXT in the local stack,
    # whose broker listens on loopback only.
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str = ""
    kafka_password: SecretStr | None = None
    # The CA of the brokers' certificates (Strimzi: the cluster CA's ca.crt); unset: the system's.
    kafka_ca_file: Path | None = None
    # A failing event is tried this many times (with backoff: 0.4 s, 0.8 s, ... up to 30 s) and
    # then parked in the dead-letter table, so one poison event cannot stall its partition. A
    # dependency that is away (connection refused, a 5xx) does not count: the event waits for it.
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    # Outbox rows the relay publishes per transaction: larger batches publish faster, smaller
    # ones leave less to publish again after a crash between publishing and marking sent. 500
    # RecordStored events of one person (one partition) fit one record batch (new_producer).
    outbox_relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    topic_transfer: str = "medrec.transfer.v1"
    topic_record: str = "medrec.record.v1"
    topic_issuance: str = "medrec.issuance.v1"
    topic_audit: str = "medrec.audit.v1"
    identity_url: str = Field(description="base URL of the identity service (JWKS, tokens)")
    jwt_issuer: str = "medrec-identity"
    jwt_audience: str = "medrec"
    # How long a service trusts the signing keys it fetched from identity's JWKS before fetching
    # them again: a key identity retires stops being trusted within this time. Five minutes is
    # one JWKS fetch per process per five minutes, and far below the hour a key stays published
    # after its last token (medrec-identity-signing-keys retire). A token under a key published
    # since the last fetch is not waited for: its unknown kid fetches the JWKS at once (at most
    # every 10 s, or this time when it is shorter, so a flood of made-up kids cannot hammer
    # identity). Identity away at a fetch: the keys already fetched stay trusted until it is back.
    jwks_cache_seconds: float = Field(default=300.0, gt=0, le=3600)
    # Every route's request body is bounded while it is read (medrec_shared.platform.bodylimits);
    # this is the bound of all but the few routes that name their own (uploads). The largest JSON
    # body a route takes is some 20 KiB (500 record ids).
    body_max_bytes: int = Field(default=64 * 1024, ge=1024)
    # Browser origins that may call the API (CORS), comma separated, each scheme://host[:port]:
    # the citizens' portal. Empty (production's default): no CORS headers, browsers refuse.
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Local stack only: "now" read from this file, so tests move time instead of sleeping.
    clock_file: Path | None = None

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry == "*":
                raise ValueError("must name the proxies' addresses or CIDRs, never '*'")
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an address or a CIDR") from exc
        return ",".join(entries)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return (
            tuple(o.strip() for o in value.split(",") if o.strip())
            if isinstance(value, str)
            else value
        )

    @field_validator("cors_allowed_origins")
    @classmethod
    def _explicit_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or "*" in origin:
                raise ValueError("an allowed origin is scheme://host[:port], never a wildcard")
            if parts.path or parts.query or parts.fragment or parts.username:
                raise ValueError("an allowed origin has no path, query or credentials")
        return origins

    @property
    def jwks_url(self) -> str:
        return f"{self.identity_url.rstrip('/')}/.well-known/jwks.json"

    @property
    def token_url(self) -> str:
        return f"{self.identity_url.rstrip('/')}/oauth/token"

    def kafka_access(self) -> KafkaAccess:
        password = self.kafka_password.get_secret_value() if self.kafka_password else ""
        return KafkaAccess(
            self.kafka_bootstrap_servers,
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_username,
            password,
            self.kafka_ca_file,
        )

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        """Secrets that must be strong outside the local stack; subclasses add theirs."""
        return {}

    @model_validator(mode="after")
    def _kafka_credentials_with_sasl(self) -> Self:
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_username and self.kafka_password
        ):
            raise ValueError("kafka_security_protocol SASL_SSL needs kafka_username and _password")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Self:
        if self.environment == "local":
            return self
        checked = self.secrets_to_check()
        if self.kafka_security_protocol == "SASL_SSL":
            checked["kafka_password"] = self.kafka_password
        for name, value in checked.items():
            raw = value.get_secret_value() if value is not None else ""
            if raw.lower() in UNSAFE_SECRETS or len(raw) < MIN_SECRET_LENGTH:
                raise ValueError(f"{name} is unset or unsafe outside the local stack")
        if any(not origin.startswith("https://") for origin in self.cors_allowed_origins):
            raise ValueError("cors_allowed_origins must be https:// outside the local stack")
        if self.clock_file is not None:
            raise ValueError("clock_file is only allowed in the local stack")
        if getattr(self, "sandbox", False):
            raise ValueError("sandbox mode is only allowed in the local stack")
        return self
