"""The pieces every service's FastAPI app has: problems, correlation ids, an access log without
query strings, Prometheus metrics, `/healthz`, `/readyz` and `/metrics`."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from medrec_shared.auth import JwksCache, TokenVerifier
from medrec_shared.clock import Clock, build_clock
from medrec_shared.db import Database
from medrec_shared.logs import (
    CORRELATION_HEADER,
    get_correlation_id,
    get_logger,
    set_correlation_id,
)
from medrec_shared.messaging import Outbox
from medrec_shared.openapi import install_openapi
from medrec_shared.problems import PROBLEM_CONTENT_TYPE, install_problem_handlers
from medrec_shared.runtime import broker_reachable
from medrec_shared.settings import ServiceSettings
from medrec_shared.storage import ObjectStore
from medrec_shared.text import refuse_unstorable_text

log = get_logger("medrec.http")
REQUESTS = Counter("medrec_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("medrec_http_request_seconds", "HTTP request latency", ["method", "route"])

ReadinessCheck = Callable[[], Awaitable[object]]


class RequestContextMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        set_correlation_id(request.headers.get(CORRELATION_HEADER))
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        REQUESTS.labels(request.method, template, response.status_code).inc()
        LATENCY.labels(request.method, template).observe(elapsed)
        response.headers[CORRELATION_HEADER] = get_correlation_id()
        if template not in ("/healthz", "/metrics"):
            log.info(
                "request",
                method=request.method,
                route=template,
                status=response.status_code,
                ms=round(elapsed * 1000, 1),
            )
        return response


def dependency_checks(
    db: Database, settings: ServiceSettings, store: ObjectStore | None = None
) -> dict[str, ReadinessCheck]:
    """What `/readyz` asks: the database, the broker, and storage where the service has it."""
    checks: dict[str, ReadinessCheck] = {
        "database": db.ping,
        "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
    }
    if store is not None:
        checks["storage"] = store.ping
    return checks


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database, broker and storage reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3.0)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable ({type(exc).__name__})"
        ready = all(v == "ok" for v in results.values())
        if ready:
            return JSONResponse({"status": "ready", "checks": results})
        body = {
            "type": "https://medrec.example/problems/unavailable",
            "title": "Not ready",
            "status": 503,
            "detail": "A dependency is unavailable.",
            "checks": results,
        }
        return JSONResponse(body, status_code=503, media_type=PROBLEM_CONTENT_TYPE)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_base_app(
    settings: ServiceSettings, *, title: str, description: str, version: str = "1.0.0"
) -> FastAPI:
    # Text the database cannot store is refused before any route runs (medrec_shared.text).
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        dependencies=[Depends(refuse_unstorable_text)],
    )
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    install_openapi(app)  # problems, security schemes, standard responses
    app.state.settings = settings
    app.state.clock = build_clock(settings.clock_file)
    app.state.token_verifier = TokenVerifier(
        JwksCache(settings.jwks_url), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return app


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


# "Now" as a dependency: tests move the clock (see medrec_shared.clock) instead of sleeping.
Now = Annotated[datetime, Depends(_now)]


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency on what the app factory put in `app.state` (settings, outbox, ports)."""

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    return dependency


AppOutbox = Annotated[Outbox, Depends(from_state("outbox"))]
