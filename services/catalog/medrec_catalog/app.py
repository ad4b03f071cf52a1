from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_catalog import admin
from medrec_catalog.access_log import endpoints as access_log
from medrec_catalog.audit import endpoints as audit
from medrec_catalog.bootstrap import CatalogComponents, build
from medrec_catalog.directory import endpoints as directory
from medrec_catalog.fhir import endpoints as fhir
from medrec_catalog.fhir import everything
from medrec_catalog.linkage import endpoints as linkage
from medrec_catalog.models import dead_letters
from medrec_catalog.notices import endpoints as notices
from medrec_catalog.records import endpoints as records
from medrec_catalog.retention import endpoints as retention
from medrec_catalog.settings import CatalogSettings
from medrec_catalog.transfer_requests import endpoints as transfer_requests
from medrec_shared.platform.deadletters.endpoints import dead_letter_router
from medrec_shared.platform.observability.refresh import api_probes, refreshing
from medrec_shared.platform.web import create_base_app, dependency_checks, health_router
from medrec_shared.rules.staff import DEAD_LETTERS_MANAGE
from medrec_shared.rules.staff_acts import dead_letter_retry_act


def create_app(
    settings: CatalogSettings | None = None, *, components: CatalogComponents | None = None
) -> FastAPI:
    components = components or build(settings, verify_tokens=True)

    checks = dependency_checks(components.db)
    # the outbox, dead letters, dependencies and pool as gauges, refreshed while it serves
    probes = api_probes(
        "catalog", components.db, components.outbox.table, checks, dead_letters=dead_letters
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with refreshing(probes):
            yield
        await components.aclose()

    app = create_base_app(
        components,
        title="medrec catalog",
        description="Closed institutions, a person's records and access history, retention.",
    )
    app.router.lifespan_context = lifespan
    app.include_router(health_router(checks))
    for router in (
        directory.router,
        records.router,
        access_log.router,
        notices.router,
        records.internal_router,
        admin.router,
        retention.router,
        linkage.router,
        audit.router,
        transfer_requests.router,
        everything.router,
        fhir.router,
        dead_letter_router(
            dead_letters,
            scope=DEAD_LETTERS_MANAGE,
            on_retry=dead_letter_retry_act(components.settings.topic_audit),
        ),
    ):
        app.include_router(router)
    return app
