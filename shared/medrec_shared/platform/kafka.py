"""How a service reaches Kafka: bootstrap servers, and on a real cluster TLS with SASL/SCRAM
(Strimzi's tls listener, one KafkaUser per service). Every producer, consumer, admin client and
the readiness check take their connection arguments from here, so none of them can connect in
the clear while the others authenticate."""

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context

SecurityProtocol = Literal["PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


@dataclass(frozen=True)
class KafkaAccess:
    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None  # None: the system's trust store

    @property
    def secured(self) -> bool:
        return self.security_protocol == "SASL_SSL"

    def ssl_context(self) -> ssl.SSLContext | None:
        """TLS that verifies the brokers' certificates and host names (Strimzi's cluster CA
        signs them for the bootstrap and broker service names)."""
        if not self.secured:
            return None
        return create_ssl_context(cafile=str(self.ca_file) if self.ca_file else None)

    def client_kwargs(self) -> dict[str, Any]:
        """The arguments every aiokafka client (producer, consumer, admin) is built with."""
        kwargs: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        if self.secured:
            kwargs |= {
                "security_protocol": "SASL_SSL",
                "ssl_context": self.ssl_context(),
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return kwargs


def consumer_group(service: str, configured: str = "") -> str:
    """The Kafka group of `service`'s worker: its `kafka_consumer_group` setting, else its name
    (the group its KafkaUser may read)."""
    return configured or service
