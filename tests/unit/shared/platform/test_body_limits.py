"""The body-limit tables name routes that exist (a renamed route would silently fall back to the
64 KiB default), only the uploads take more than the default, and the CORS setting takes only
explicit origins."""

import base64
import secrets
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from medrec_ingest import bodies as ingest_bodies
from medrec_ingest.app import create_app as create_ingest
from medrec_ingest.settings import IngestSettings
from medrec_issuance import bodies as issuance_bodies
from medrec_issuance.app import create_app as create_issuance
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.bodylimits import BodyLimits

STRONG = secrets.token_urlsafe(32)
KEYS = f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}"
COMMON: dict[str, Any] = {
    "environment": "local",
    "database_url": "postgresql+asyncpg://medrec@127.0.0.1:1/medrec",
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "identity_url": "http://127.0.0.1:1",
    "s3_url": "http://127.0.0.1:1",
    "s3_access_key": "medrec",
    "s3_secret_key": STRONG,
    "content_keys": KEYS,
    "content_key_active": "kek-1",
    "person_index_key": STRONG,
}
MiB = 1024 * 1024


def ingest(**overrides: Any) -> IngestSettings:
    return IngestSettings(**(COMMON | overrides))


def issuance() -> IssuanceSettings:
    return IssuanceSettings(**COMMON, client_id="issuance", client_secret=STRONG)


def assert_names_routes(app: FastAPI, limits: BodyLimits) -> None:
    paths = app.openapi()["paths"]
    for method, template in limits:
        assert method.lower() in paths.get(template, {}), f"{method} {template} is no route"


def test_ingest_limits_name_its_deposit_routes() -> None:
    settings = ingest()
    limits = ingest_bodies.body_limits(settings)
    assert_names_routes(create_ingest(settings), limits)
    assert {path for _, path in limits} == {
        "/v1/transfers/{transfer_id}/records/{external_id}",
        "/v1/transfers/{transfer_id}/records/{external_id}/content",
        "/v1/transfers/{transfer_id}/records:batch",
        "/v1/transfers/{transfer_id}/complete",
        "/v1/transfers",  # a declaration's manifest (#29)
        "/fhir",  # an ITI-65 Provide Document Bundle (#30)
    }
    assert max(limits.values()) == settings.content_max_bytes


def test_issuance_limits_name_its_upload_routes() -> None:
    settings = issuance()
    limits = issuance_bodies.body_limits(settings)
    assert_names_routes(create_issuance(settings), limits)
    assert {path for _, path in limits} == {"/v1/verify", "/v1/proxy-requests"}


def test_a_completion_of_the_most_ids_at_their_longest_fits() -> None:
    longest = '{"record_count": 100000000, "external_ids": [' + ", ".join(
        [f'"{"x" * 200}"'] * 100_000
    ) + "]}"  # fmt: skip
    assert len(longest) <= ingest_bodies.COMPLETION_MAX_BYTES < 64 * MiB


def test_a_declaration_of_the_most_lines_at_their_longest_fits() -> None:
    line = '{"external_id": "' + "x" * 200 + '", "sha256": "' + "a" * 64 + '"}'
    longest = (
        '{"counts": {"medical_record": 100000000}, "period": {"from": "2000-01-01", '
        '"to": "2024-12-31"}, "manifest": [' + ", ".join([line] * 100_000) + "]}"
    )
    body = '{"record_count": 100000000, "declared": ' + longest + "}"
    assert len(body) <= ingest_bodies.DECLARATION_MAX_BYTES <= ingest_bodies.COMPLETION_MAX_BYTES


def test_allowed_origins_are_read_from_a_comma_separated_setting(monkeypatch: Any) -> None:
    monkeypatch.setenv(
        "MEDREC_INGEST_CORS_ALLOWED_ORIGINS", "http://localhost:8000, https://portal.example"
    )
    settings = IngestSettings(**{k: v for k, v in COMMON.items()})
    assert settings.cors_allowed_origins == ("http://localhost:8000", "https://portal.example")
    assert ingest().cors_allowed_origins == ("http://localhost:8000", "https://portal.example")
    monkeypatch.delenv("MEDREC_INGEST_CORS_ALLOWED_ORIGINS")
    assert ingest().cors_allowed_origins == ()


@pytest.mark.parametrize(
    "origin", ["*", "https://*.example", "portal.example", "https://portal.example/app", "ftp://x"]
)
def test_an_origin_must_be_explicit(origin: str) -> None:
    with pytest.raises(ValidationError, match="origin"):
        ingest(cors_allowed_origins=origin)


def test_production_allows_https_origins_only() -> None:
    production = COMMON | {"environment": "production"}
    accepted = IngestSettings(**production, cors_allowed_origins="https://portal.medrec.example")
    assert accepted.cors_allowed_origins == ("https://portal.medrec.example",)
    with pytest.raises(ValidationError, match="https"):
        IngestSettings(**production, cors_allowed_origins="http://portal.medrec.example")
