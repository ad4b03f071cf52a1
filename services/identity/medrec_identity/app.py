from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_identity import sandbox, wellknown
from medrec_identity.bootstrap import IdentityComponents, build
from medrec_identity.children import endpoints as children
from medrec_identity.clients import endpoints as clients
from medrec_identity.clients.oauth import install_oauth_errors
from medrec_identity.persons import endpoints as me
from medrec_identity.seeding import seed_clients_and_keys
from medrec_identity.settings import IdentitySettings
from medrec_identity.staff import endpoints as staff
from medrec_identity.verification import endpoints as verification
from medrec_shared.platform.observability.refresh import api_probes, refreshing
from medrec_shared.platform.web import create_base_app, dependency_checks, health_router


def create_app(
    settings: IdentitySettings | None = None, *, components: IdentityComponents | None = None
) -> FastAPI:
    components = components or build(settings, verify_tokens=True)
    settings = components.settings

    checks = dependency_checks(components.db)
    # the outbox, dead letters, dependencies and pool as gauges, refreshed while it serves
    probes = api_probes("identity", components.db, components.outbox.table, checks)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await seed_clients_and_keys(
            components.transactions,
            settings=components.settings,
            keyring=components.keyring,
            clock=components.clock,
        )
        async with refreshing(probes):
            yield
        await components.aclose()

    app = create_base_app(
        components,
        title="medrec identity",
        description="OAuth2 tokens for institutions and services, citizen verification, "
        "guardianship.",
    )
    app.router.lifespan_context = lifespan
    install_oauth_errors(app)
    app.include_router(health_router(checks))
    app.include_router(wellknown.router)
    app.include_router(clients.router)
    app.include_router(verification.router)
    app.include_router(me.router)
    app.include_router(me.internal_router)
    app.include_router(children.router)
    app.include_router(staff.router)
    if settings.sandbox:
        app.include_router(sandbox.router)
    return app
