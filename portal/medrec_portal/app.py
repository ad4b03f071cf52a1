"""The portal's app: pages, static assets (ours and the npm packages'), health, headers. The
frame (no API documents, CSRF on every route, the middleware's order, health, the sessions'
purge) is every front door's (medrec_shared.platform.frontdoor.app); what is the portal's is
passed in here, its uploads' larger bounds among it."""

from pathlib import Path

from fastapi import FastAPI

from medrec_portal.bodies import FORM_MAX_BYTES, body_limits, refuse_too_large
from medrec_portal.bootstrap import build, install
from medrec_portal.pages import (
    account,
    children,
    copies,
    documents,
    notices,
    proxy,
    public,
    records,
    records_fhir,
    shares,
    signin,
)
from medrec_portal.security import PortalHeadersMiddleware
from medrec_portal.sessions.purge import purge_forever
from medrec_portal.settings import PortalSettings
from medrec_portal.web import install_error_pages, require_csrf
from medrec_shared.platform.frontdoor.app import (
    add_middleware,
    frontdoor_app,
    install_health,
    mount_static,
    purging_while_running,
)

HERE = Path(__file__).resolve().parent
# `make install` runs `npm ci` in portal/: KRDS, Pretendard (and axe-core, for the tests only).
NODE_MODULES = HERE.parent / "node_modules"
ASSETS = {
    "/static/krds": NODE_MODULES / "krds-uiux" / "resources",
    "/static/pretendard": NODE_MODULES / "pretendard" / "dist" / "web",
}


def create_app(settings: PortalSettings) -> FastAPI:
    components = build(settings)
    lifespan = purging_while_running(
        lambda: purge_forever(
            components.transactions, components.clock, settings.session_purge_seconds
        ),
        components.aclose,
    )
    app = frontdoor_app(title="medrec portal", lifespan=lifespan, require_csrf=require_csrf)
    install(app, components)
    add_middleware(
        app,
        headers=PortalHeadersMiddleware,
        settings=settings,
        session_ids=components.sessions.ids,
        form_max_bytes=FORM_MAX_BYTES,
        body_limits=body_limits(settings),
        refuse_too_large=refuse_too_large,
    )
    install_error_pages(app)
    install_health(app, components.db.ping)
    for module in (
        public,
        signin,
        records,
        records_fhir,
        documents,
        copies,
        shares,
        children,
        account,
        proxy,
        notices,
    ):
        app.include_router(module.router)
    mount_static(app, own=("/static/portal", HERE / "static"), assets=ASSETS)
    return app
