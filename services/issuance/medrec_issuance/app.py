from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_issuance.bodies import body_limits
from medrec_issuance.issuances.endpoints import router as issuances_router
from medrec_issuance.issuer.service import load_or_create_issuer
from medrec_issuance.models import dead_letters, messaging, rate_events
from medrec_issuance.ports import CatalogPort, IdentityPort, IngestPort
from medrec_issuance.proxies.endpoints import admin_router as proxies_admin_router
from medrec_issuance.proxies.endpoints import router as proxies_router
from medrec_issuance.settings import IssuanceSettings
from medrec_issuance.verify.endpoints import router as verify_router
from medrec_shared.auth import token_verifier
from medrec_shared.clock import build_clock
from medrec_shared.components import Components
from medrec_shared.crypto import LocalKeyring
from medrec_shared.db import Database, Transactions
from medrec_shared.deadletters.endpoints import dead_letter_router
from medrec_shared.guardianship import check_guardian_token
from medrec_shared.http import ClientCredentials, ServiceClient
from medrec_shared.messaging import Outbox
from medrec_shared.ratelimit import RateLimiter
from medrec_shared.storage import ObjectStore
from medrec_shared.topics import EVENT_RULES
from medrec_shared.vault import Vault
from medrec_shared.web import create_base_app, dependency_checks, health_router


def service_credentials(settings: IssuanceSettings) -> ClientCredentials:
    return ClientCredentials(
        settings.token_url,
        settings.client_id,
        settings.client_secret.get_secret_value(),
        "content:read catalog:read names:read",
    )


def keyring_of(settings: IssuanceSettings) -> LocalKeyring:
    return LocalKeyring.from_spec(
        settings.content_keys.get_secret_value(), settings.content_key_active
    )


def object_store(settings: IssuanceSettings) -> ObjectStore:
    return ObjectStore.from_url(
        settings.s3_url,
        settings.s3_access_key.get_secret_value(),
        settings.s3_secret_key.get_secret_value(),
    )


def create_app(settings: IssuanceSettings | None = None) -> FastAPI:
    settings = settings or IssuanceSettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    keyring = keyring_of(settings)
    store = object_store(settings)
    catalog = ServiceClient(settings.catalog_url, service_credentials(settings))
    # The names records were deposited under, for an operator's Art. 21 review.
    ingest = ServiceClient(settings.ingest_url, service_credentials(settings))
    identity = IdentityPort(settings.identity_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.ensure_bucket(settings.copies_bucket)
        _, app.state.issuer_cert = await load_or_create_issuer(Transactions.of(db), keyring)
        yield
        await catalog.aclose()
        await ingest.aclose()
        await identity.aclose()
        await db.dispose()

    # Transitional (#26): each service's bootstrap.py builds these.
    components = Components(
        settings=settings,
        clock=build_clock(settings.clock_file),
        db=db,
        outbox=Outbox(messaging.outbox, "issuance", rules=EVENT_RULES),
        token_verifier=token_verifier(settings, checks=(check_guardian_token,)),
    )
    app = create_base_app(
        components,
        title="medrec issuance",
        description="Certified copies (signed PDFs in Korean) and a public authenticity check.",
        body_limits=body_limits(settings),
    )
    app.router.lifespan_context = lifespan
    app.state.settings = settings
    app.state.clock = components.clock
    app.state.db = db
    app.state.vault = Vault(store, settings.copies_bucket, keyring)
    app.state.catalog = CatalogPort(catalog)
    app.state.ingest = IngestPort(ingest)
    app.state.identity = identity
    app.state.rate_limiter = RateLimiter(
        db.sessions,
        rate_events,
        app.state.clock.now,
        message="Too many authenticity checks from this address; try again shortly.",
    )
    app.include_router(health_router(dependency_checks(db, store)))
    for router in (issuances_router, verify_router, proxies_router, proxies_admin_router):
        app.include_router(router)
    app.include_router(dead_letter_router(dead_letters))
    return app
