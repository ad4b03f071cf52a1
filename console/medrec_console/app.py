"""The console's app: pages, static assets (ours and the npm packages'), health, headers."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medrec_console.bodies import FORM_MAX_BYTES, refuse_too_large
from medrec_console.bootstrap import build, install
from medrec_console.pages import PAGES
from medrec_console.security import ConsoleHeadersMiddleware
from medrec_console.sessions.purge import purge_forever
from medrec_console.settings import ConsoleSettings
from medrec_console.web import install_error_pages, require_csrf
from medrec_shared.platform.bodylimits import BodyLimitMiddleware
from medrec_shared.platform.web import RequestContextMiddleware

HERE = Path(__file__).resolve().parent
# `make install` runs `npm ci` in console/: KRDS, Pretendard (and axe-core, for the tests only).
NODE_MODULES = HERE.parent / "node_modules"
ASSETS = {
    "/static/krds": NODE_MODULES / "krds-uiux" / "resources",
    "/static/pretendard": NODE_MODULES / "pretendard" / "dist" / "web",
}


def create_app(settings: ConsoleSettings) -> FastAPI:
    components = build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        purging = asyncio.create_task(
            purge_forever(
                components.transactions, components.clock, settings.session_purge_seconds
            ),
            name="session-purge",
        )
        yield
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        await components.aclose()

    app = FastAPI(
        title="medrec console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(require_csrf)],
    )
    install(app, components)
    # The last added runs first: bodies are bounded inside the headers' middleware, so that a
    # refused body's page carries the headers and the session cookie too.
    app.add_middleware(
        BodyLimitMiddleware, default=FORM_MAX_BYTES, routes={}, refuse=refuse_too_large
    )
    app.add_middleware(
        ConsoleHeadersMiddleware,
        cookie_name=settings.session_cookie_name,
        session_ids=components.sessions.ids,
        secure=settings.cookie_secure,
        max_age=settings.session_idle_seconds,
        form_action_origins=settings.form_action_origins,
    )
    app.add_middleware(RequestContextMiddleware)
    install_error_pages(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            await components.db.ping()
        except Exception:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    for router in PAGES:
        app.include_router(router)
    app.mount("/static/console", StaticFiles(directory=HERE / "static"), name="static")
    for prefix, directory in ASSETS.items():
        app.mount(prefix, StaticFiles(directory=directory, check_dir=False), name=prefix)
    return app
