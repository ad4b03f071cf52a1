from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_issuance.bodies import body_limits
from medrec_issuance.bootstrap import build
from medrec_issuance.issuances.endpoints import router as issuances_router
from medrec_issuance.issuances.gauges import copies_probe, issuer_probe
from medrec_issuance.models import dead_letters
from medrec_issuance.proxies.endpoints import admin_router as proxies_admin_router
from medrec_issuance.proxies.endpoints import router as proxies_router
from medrec_issuance.settings import IssuanceSettings
from medrec_issuance.shares.endpoints import router as shares_router
from medrec_issuance.verify.endpoints import router as verify_router
from medrec_shared.platform.deadletters.endpoints import dead_letter_router
from medrec_shared.platform.observability.refresh import api_probes, refreshing
from medrec_shared.platform.web import create_base_app, dependency_checks, health_router
from medrec_shared.rules.staff import DEAD_LETTERS_MANAGE
from medrec_shared.rules.staff_acts import dead_letter_retry_act


def create_app(settings: IssuanceSettings | None = None) -> FastAPI:
    components = build(settings, verify_tokens=True)

    checks = dependency_checks(components.db, components.store)
    # the outbox, dead letters, dependencies and pool as gauges, refreshed while it serves
    probes = api_probes(
        "issuance",
        components.db,
        components.outbox.table,
        checks,
        dead_letters=dead_letters,
        more=[copies_probe(components.db), issuer_probe(components.issuer)],
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await components.store.ensure_bucket(components.settings.copies_bucket)
        await (
            components.issuer.load()
        )  # created at first start; the certificate of the public check
        async with refreshing(probes):
            yield
        await components.aclose()

    app = create_base_app(
        components,
        title="medrec issuance",
        description="Certified copies (signed PDFs in Korean) and a public authenticity check.",
        body_limits=body_limits(components.settings),
    )
    app.router.lifespan_context = lifespan
    app.include_router(health_router(checks))
    routers = (issuances_router, shares_router, verify_router, proxies_router, proxies_admin_router)
    for router in routers:
        app.include_router(router)
    app.include_router(
        dead_letter_router(
            dead_letters,
            scope=DEAD_LETTERS_MANAGE,
            on_retry=dead_letter_retry_act(components.settings.topic_audit),
        )
    )
    return app
