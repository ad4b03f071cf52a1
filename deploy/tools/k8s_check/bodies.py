"""The ingress's body limits against the services': each public host's nginx `proxy-body-size`
is the largest request body its service takes (body_max_bytes, and the routes that name their
own in medrec_<service>.bodies), give or take nginx's units, so the ingress neither cuts an
upload the service takes nor carries a body the service would refuse. The transfer API streams
request bodies (`proxy-request-buffering: "off"`): an upload is not spooled whole by the
controller first, and ingest refuses one without a valid token before it is sent. So does the
portal (issue #25): it counts an upload's bytes as they arrive and checks the session and the
form's token before reading it, which a controller that spools the whole body first defeats."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

from .objects import SERVICES, Rendered, object_id
from .service_settings import settings_of

ANNOTATION = "nginx.ingress.kubernetes.io/"
ROUTE_LIMITS = {"ingest": "medrec_ingest.bodies", "issuance": "medrec_issuance.bodies"}
STREAMED = frozenset({"ingest", "portal"})
SLACK = 1024 * 1024  # nginx sizes are in k, m or g: the next one up is close enough
_SIZE = re.compile(r"^(\d+)([kmg]?)$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_size(value: str) -> int | None:
    match = _SIZE.match(value.strip())
    return int(match[1]) * _UNITS[match[2].lower()] if match else None


def largest_body(service: str, settings: Any) -> int:
    limits: dict[Any, int] = {}
    if service in ROUTE_LIMITS:
        limits = dict(importlib.import_module(ROUTE_LIMITS[service]).body_limits(settings))
    return max([settings.body_max_bytes, *limits.values()])


def backends(ingress: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(host, medrec service or front door) of each of the Ingress's paths."""
    for rule in ingress["spec"].get("rules", []):
        for path in rule.get("http", {}).get("paths", []):
            name = path["backend"].get("service", {}).get("name", "")
            if name.removeprefix("medrec-") in (*SERVICES, "portal"):
                yield rule.get("host", "*"), name.removeprefix("medrec-")


def check_ingress_body_sizes(r: Rendered) -> Iterator[str]:
    for ingress in r.of("Ingress"):
        who = object_id(ingress)
        annotations = ingress["metadata"].get("annotations", {})
        raw = annotations.get(ANNOTATION + "proxy-body-size")
        size = nginx_size(str(raw)) if raw is not None else None
        buffered = annotations.get(ANNOTATION + "proxy-request-buffering", "on") != "off"
        for host, service in sorted(set(backends(ingress))):
            if service in STREAMED and buffered:
                yield f"{who} ({host}): {service}'s uploads stream: set proxy-request-buffering off"
            settings = settings_of(r, service) if service in SERVICES else None
            if settings is None:
                continue  # no api, or settings refused: reported by the settings check
            largest = largest_body(service, settings)
            if size is None:
                yield f"{who} ({host}): set proxy-body-size; {service} takes bodies of {largest}"
            elif size < largest:
                yield f"{who} ({host}): proxy-body-size {raw} cuts {service}'s bodies ({largest})"
            elif size > largest + SLACK:
                yield f"{who} ({host}): proxy-body-size {raw} passes bodies over {largest}"
