"""The frame every front door's app is built in: no API documents (it serves pages, not an API),
every route behind its CSRF dependency, its sessions purged for as long as it runs, `/healthz`
and `/readyz` as the services have them, and its middleware in the one order that keeps a
refused body's page carrying the headers and the session cookie. What each front door adds (its
pages, its static files, its limits, its headers' subclass) it passes in."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medrec_shared.platform.bodylimits import BodyLimitMiddleware, BodyLimits, Refusal
from medrec_shared.platform.frontdoor.security import FrontDoorHeadersMiddleware, SessionIssuer
from medrec_shared.platform.frontdoor.settings import FrontDoorSettings
from medrec_shared.platform.web import READY_CHECK_SECONDS, RequestContextMiddleware

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def purging_while_running(
    purge: Callable[[], Coroutine[Any, Any, None]], close: Callable[[], Awaitable[None]]
) -> Lifespan:
    """The sessions' purge running beside the app until it stops; then `close` (clients, pool)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        purging = asyncio.create_task(purge(), name="session-purge")
        yield
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        await close()

    return lifespan


def frontdoor_app(*, title: str, lifespan: Lifespan, require_csrf: Callable[..., Any]) -> FastAPI:
    return FastAPI(
        title=title,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(require_csrf)],
    )


def add_middleware(
    app: FastAPI,
    *,
    headers: type[FrontDoorHeadersMiddleware],
    settings: FrontDoorSettings,
    session_ids: SessionIssuer,
    form_max_bytes: int,
    body_limits: BodyLimits,
    refuse_too_large: Refusal,
) -> None:
    # The last added runs first: bodies are bounded inside the headers' middleware, so that a
    # refused body's page carries the headers and the session cookie too.
    app.add_middleware(
        BodyLimitMiddleware, default=form_max_bytes, routes=body_limits, refuse=refuse_too_large
    )
    app.add_middleware(
        headers,
        cookie_name=settings.session_cookie_name,
        session_ids=session_ids,
        secure=settings.cookie_secure,
        max_age=settings.session_idle_seconds,
        form_action_origins=settings.form_action_origins,
    )
    app.add_middleware(RequestContextMiddleware)


def install_health(app: FastAPI, ping: Callable[[], Awaitable[object]]) -> None:
    """`/healthz` (alive) and `/readyz` (its database answers)."""

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        # Bounded as the APIs' checks are (a database that does not answer is not waited for),
        # and naming what is missing as they do.
        try:
            await asyncio.wait_for(ping(), timeout=READY_CHECK_SECONDS)
        except Exception as exc:
            checks = {"database": f"unavailable ({type(exc).__name__})"}
            return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
        return JSONResponse({"status": "ok", "checks": {"database": "ok"}})


def mount_static(app: FastAPI, *, own: tuple[str, Path], assets: dict[str, Path]) -> None:
    """The front door's own files (named "static", as its templates' `url_for` asks) and the npm
    packages' (absent until `make install` has run `npm ci`, so not checked at start-up)."""
    prefix, directory = own
    app.mount(prefix, StaticFiles(directory=directory), name="static")
    for prefix, directory in assets.items():
        app.mount(prefix, StaticFiles(directory=directory, check_dir=False), name=prefix)
