"""The console's app: pages, static assets (ours and the npm packages'), health, headers. The
frame (no API documents, CSRF on every route, the middleware's order, health, the sessions'
purge) is every front door's (medrec_shared.platform.frontdoor.app); what is the console's is
passed in here."""

from pathlib import Path

from fastapi import FastAPI

from medrec_console.bodies import FORM_MAX_BYTES, refuse_too_large
from medrec_console.bootstrap import build, install
from medrec_console.pages import PAGES
from medrec_console.security import ConsoleHeadersMiddleware
from medrec_console.sessions.purge import purge_forever
from medrec_console.settings import ConsoleSettings
from medrec_console.web import install_error_pages, require_csrf
from medrec_shared.platform.frontdoor.app import (
    add_middleware,
    frontdoor_app,
    install_health,
    mount_static,
    purging_while_running,
)

HERE = Path(__file__).resolve().parent
# `make install` runs `npm ci` in console/: KRDS, Pretendard (and axe-core, for the tests only).
NODE_MODULES = HERE.parent / "node_modules"
ASSETS = {
    "/static/krds": NODE_MODULES / "krds-uiux" / "resources",
    "/static/pretendard": NODE_MODULES / "pretendard" / "dist" / "web",
}


def create_app(settings: ConsoleSettings) -> FastAPI:
    components = build(settings)
    lifespan = purging_while_running(
        lambda: purge_forever(
            components.transactions, components.clock, settings.session_purge_seconds
        ),
        components.aclose,
    )
    app = frontdoor_app(title="medrec console", lifespan=lifespan, require_csrf=require_csrf)
    install(app, components)
    add_middleware(
        app,
        headers=ConsoleHeadersMiddleware,
        settings=settings,
        session_ids=components.sessions.ids,
        form_max_bytes=FORM_MAX_BYTES,
        body_limits={},  # no form of the console carries files: every body is a small form
        refuse_too_large=refuse_too_large,
    )
    install_error_pages(app)
    install_health(app, components.db.ping)
    for router in PAGES:
        app.include_router(router)
    mount_static(app, own=("/static/console", HERE / "static"), assets=ASSETS)
    return app
