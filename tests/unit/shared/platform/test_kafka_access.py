"""Kafka over TLS with SASL/SCRAM is a matter of settings (MEDREC_<SVC>_KAFKA_*): the settings
build the arguments every aiokafka client gets, and refuse a half-configured or weak setup."""

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from medrec_shared.platform.messaging import new_consumer, new_producer
from tests.support.builders import STRONG, ingest


def cluster_ca(path: Path) -> Path:
    """A self-signed CA certificate, as Strimzi's cluster CA Secret holds in `ca.crt`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-ca medrec-kafka")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def secured(tmp_path: Path, **overrides: object) -> dict[str, object]:
    return {
        "kafka_bootstrap_servers": "medrec-kafka-kafka-bootstrap:9093",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_username": "medrec-ingest",
        "kafka_password": STRONG,
        "kafka_ca_file": str(cluster_ca(tmp_path / "ca.crt")),
    } | overrides


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    kwargs = ingest().kafka_access().client_kwargs()
    assert kwargs == {"bootstrap_servers": "kafka:9092"}


def test_sasl_ssl_settings_give_scram_over_verified_tls(tmp_path: Path) -> None:
    kwargs = ingest(**secured(tmp_path)).kafka_access().client_kwargs()
    assert kwargs["bootstrap_servers"] == "medrec-kafka-kafka-bootstrap:9093"
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "medrec-ingest"
    assert kwargs["sasl_plain_password"] == STRONG
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    subjects = []
    for ca in context.get_ca_certs():
        names = {}
        for rdn in ca["subject"]:  # ((("commonName", "…"),), …)
            pair = rdn[0]
            assert isinstance(pair, tuple)
            key, value = pair
            names[key] = value
        subjects.append(names)
    assert {"commonName": "cluster-ca medrec-kafka"} in subjects


def test_producers_and_consumers_are_built_with_them(tmp_path: Path) -> None:
    access = ingest(**secured(tmp_path)).kafka_access()

    async def build() -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:  # aiokafka wants a loop
        return (
            new_producer(access, "medrec-ingest", idempotence=False),
            new_consumer(access, "ingest", ["medrec.record.v1"]),
        )

    producer, consumer = asyncio.run(build())
    for client in (producer.client, consumer._client):
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-512"
        assert client._sasl_plain_username == "medrec-ingest"
        assert client._sasl_plain_password == STRONG
        assert isinstance(client._ssl_context, ssl.SSLContext)


def test_the_password_stays_out_of_reprs(tmp_path: Path) -> None:
    settings = ingest(**secured(tmp_path))
    assert STRONG not in repr(settings) and STRONG not in repr(settings.kafka_access())


@pytest.mark.parametrize("missing", ["kafka_username", "kafka_password"])
def test_sasl_without_credentials_is_refused(tmp_path: Path, missing: str) -> None:
    with pytest.raises(ValidationError, match="SASL_SSL needs"):
        ingest(**secured(tmp_path, **{missing: ""}))


def test_a_weak_kafka_password_is_refused_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="kafka_password"):
        ingest(**secured(tmp_path, kafka_password="changeme"))
    assert ingest(environment="local", **secured(tmp_path, kafka_password="changeme"))


def test_only_scram_over_tls_or_plaintext_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        ingest(**secured(tmp_path, kafka_security_protocol="SASL_PLAINTEXT"))
    with pytest.raises(ValidationError):
        ingest(**secured(tmp_path, kafka_sasl_mechanism="PLAIN"))
