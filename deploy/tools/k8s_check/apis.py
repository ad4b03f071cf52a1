"""The services' own addresses: each api listens on 0.0.0.0 on the port its Deployment declares
as `http`, and the URLs the services call each other at are rendered Services and ports."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from .objects import Rendered, ServiceConfig, containers

SERVICE_URLS = ("IDENTITY_URL", "INGEST_URL", "CATALOG_URL", "ISSUANCE_URL")


def check_api_listens(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    p, cfg = s.prefix, s.values
    if cfg.get(p + "API_HOST") != "0.0.0.0":  # noqa: S104 - a pod listens on its IP
        yield f"{s.who}: {p}API_HOST must be 0.0.0.0 in a pod"
    http = [
        port["containerPort"]
        for port in containers(s.api)[0].get("ports", [])
        if port.get("name") == "http"
    ]
    if [str(x) for x in http] != [cfg.get(p + "API_PORT")]:
        yield f"{s.who}: {p}API_PORT {cfg.get(p + 'API_PORT')} != containerPort {http}"


def check_service_urls(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    services = {o["metadata"]["name"]: o for o in r.of("Service")}
    for key in SERVICE_URLS:
        if s.prefix + key not in s.values:
            continue
        url = s.values[s.prefix + key]
        parts = urlsplit(url)
        target = services.get(parts.hostname or "")
        ports = [pt["port"] for pt in (target or {}).get("spec", {}).get("ports", [])]
        if target is None or parts.port not in ports:
            yield f"{s.who}: {s.prefix}{key}={url} is no rendered Service and port"
