"""The pieces every service's FastAPI app has: problems, correlation ids, an access log without
query strings, Prometheus metrics, bounded request bodies, CORS for the allowed origins only,
`/healthz` and `/readyz`. The metrics are served on a port of their own
(`medrec_shared.platform.entrypoints.serve_api`), never on the API's.

The middlewares are pure ASGI: Starlette's BaseHTTPMiddleware would run the app in a task of its
own and pass every streamed request and response body through a stream of its own."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medrec_shared.platform.bodylimits import BodyLimitMiddleware, BodyLimits
from medrec_shared.platform.components import Components, components_of, install
from medrec_shared.platform.db import Database
from medrec_shared.platform.logs import (
    CORRELATION_HEADER,
    get_correlation_id,
    get_logger,
    set_correlation_id,
)
from medrec_shared.platform.messaging import Outbox
from medrec_shared.platform.openapi import install_openapi, operation_id, problem_responses
from medrec_shared.platform.problems import (
    PROBLEM_CONTENT_TYPE,
    ServiceUnavailable,
    install_problem_handlers,
)
from medrec_shared.platform.storage import ObjectStore
from medrec_shared.platform.text import refuse_unstorable_text

log = get_logger("medrec.http")
REQUESTS = Counter("medrec_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("medrec_http_request_seconds", "HTTP request latency", ["method", "route"])

ReadinessCheck = Callable[[], Awaitable[object]]
READY_CHECK_SECONDS = 3.0  # each check's bound: /readyz answers in seconds, however it fails


class RequestContextMiddleware:
    """A correlation id for each request (the caller's, or a new one), echoed in the response;
    the request counted and timed by route template; one access-log line without the query
    string (it may hold a search term)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_correlation_id(Headers(scope=scope).get(CORRELATION_HEADER))
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = get_correlation_id()
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        finally:
            elapsed = time.perf_counter() - started
            # The router records the matched route in the scope it was given (this one).
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            REQUESTS.labels(method, template, status).inc()
            LATENCY.labels(method, template).observe(elapsed)
            if template != "/healthz":
                log.info(
                    "request", method=method, route=template, status=status,
                    ms=round(elapsed * 1000, 1),
                )  # fmt: skip


# What a browser may send across origins: the methods the APIs have, and the request headers
# they read (a token, a body's type and digest, a correlation id); what it may read back beyond
# the safe-listed headers: when to retry, a download's file name and digest, the correlation id.
CORS_METHODS = ["GET", "POST", "PUT", "DELETE"]
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Content-Digest", CORRELATION_HEADER]
CORS_RESPONSE_HEADERS = ["Retry-After", "Content-Disposition", "Content-Digest", CORRELATION_HEADER]


def dependency_checks(db: Database, store: ObjectStore | None = None) -> dict[str, ReadinessCheck]:
    """What `/readyz` asks: what the API itself uses, the database, and storage where the
    service has it. Not the broker: only the worker speaks to it (the API's events wait in the
    outbox table), and an API that cannot reach the brokers serves as well as one that can."""
    checks: dict[str, ReadinessCheck] = {"database": db.ping}
    if store is not None:
        checks["storage"] = store.ping
    return checks


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Database (and storage, where used) reachable",
        responses=problem_responses(ServiceUnavailable),
    )
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            # A check fails by raising, or by answering False (the object store's ping): a
            # readiness that took False for an answer said "ok" with storage away.
            try:
                answered = await asyncio.wait_for(check(), timeout=READY_CHECK_SECONDS)
            except Exception as exc:
                results[name] = f"unavailable ({type(exc).__name__})"
            else:
                results[name] = "ok" if answered is not False else "unavailable (no answer)"
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

    return router


def create_base_app(
    components: Components,
    *,
    title: str,
    description: str,
    version: str = "1.0.0",
    body_limits: BodyLimits | None = None,
) -> FastAPI:
    """The API around a service's components (its `bootstrap.py`). `body_limits`: the routes
    that take more (or less) than `settings.body_max_bytes`."""
    settings = components.settings
    # Text the database cannot store is refused before any route runs (medrec_shared.platform.text).
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        dependencies=[Depends(refuse_unstorable_text)],
        generate_unique_id_function=operation_id,
    )
    # The last added runs first: the request context around everything, so that a refused
    # preflight or an oversized body is counted and logged too.
    app.add_middleware(
        BodyLimitMiddleware, default=settings.body_max_bytes, routes=body_limits or {}
    )
    if settings.cors_allowed_origins:
        # Tokens travel in the Authorization header, never in cookies: credentials stay off.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allowed_origins),
            allow_credentials=False,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    install_openapi(app)  # problems, security schemes, standard responses
    install(app, components)
    return app


# The dependencies here are `async def` though they never await: FastAPI runs a plain `def`
# dependency in a worker thread, a hop to the thread pool and back for each one on every request.
async def _now(request: Request) -> datetime:
    return components_of(request).clock.now()


# "Now" as a dependency: tests move the clock (see medrec_shared.platform.clock) instead of
# sleeping.
Now = Annotated[datetime, Depends(_now)]


async def _outbox(request: Request) -> Outbox:
    return components_of(request).outbox


AppOutbox = Annotated[Outbox, Depends(_outbox)]
