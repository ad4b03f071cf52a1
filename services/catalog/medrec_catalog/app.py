from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_catalog import admin
from medrec_catalog.access_log import endpoints as access_log
from medrec_catalog.directory import endpoints as directory
from medrec_catalog.linkage import endpoints as linkage
from medrec_catalog.linkage.ports import DemographicsPort
from medrec_catalog.models import dead_letters, messaging
from medrec_catalog.records import endpoints as records
from medrec_catalog.retention import endpoints as retention
from medrec_catalog.settings import CatalogSettings
from medrec_shared.auth import token_verifier
from medrec_shared.clock import build_clock
from medrec_shared.components import Components
from medrec_shared.db import Database
from medrec_shared.deadletters.endpoints import dead_letter_router
from medrec_shared.guardianship import check_guardian_token
from medrec_shared.http import ClientCredentials, ServiceClient
from medrec_shared.messaging import Outbox
from medrec_shared.topics import EVENT_RULES
from medrec_shared.web import create_base_app, dependency_checks, health_router


def demographics_port(settings: CatalogSettings) -> DemographicsPort:
    """ingest and identity, each with catalog's own token for scope demographics:read (one
    credentials object: both services take the same token)."""
    credentials = ClientCredentials(
        settings.token_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        "demographics:read",
    )
    return DemographicsPort(
        ServiceClient(settings.ingest_url, credentials),
        ServiceClient(settings.identity_url, credentials),
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or CatalogSettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    demographics = demographics_port(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await demographics.aclose()
        await db.dispose()

    # Transitional (#26): each service's bootstrap.py builds these.
    components = Components(
        settings=settings,
        clock=build_clock(settings.clock_file),
        db=db,
        outbox=Outbox(messaging.outbox, "catalog", rules=EVENT_RULES),
        token_verifier=token_verifier(settings, checks=(check_guardian_token,)),
    )
    app = create_base_app(
        components,
        title="medrec catalog",
        description="Closed institutions, a person's records and access history, retention.",
    )
    app.router.lifespan_context = lifespan
    app.state.settings = settings
    app.state.clock = components.clock
    app.state.db = db
    app.state.demographics = demographics
    app.include_router(health_router(dependency_checks(db)))
    for router in (
        directory.router,
        records.router,
        access_log.router,
        records.internal_router,
        admin.router,
        retention.router,
        linkage.router,
        dead_letter_router(dead_letters),
    ):
        app.include_router(router)
    return app
