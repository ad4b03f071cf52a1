from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from medrec_identity import clients, me, sandbox, wellknown
from medrec_identity.clients import ClientRepository, new_client, rotate_secret
from medrec_identity.family import api as family_api
from medrec_identity.family.select import build_http_registry
from medrec_identity.keys import IdentityKeys
from medrec_identity.models import rate_events
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing import SigningKeyRepository
from medrec_identity.verification import api as verification_api
from medrec_identity.verification.select import build_provider
from medrec_shared.clock import build_clock
from medrec_shared.crypto import Keyring, LocalKeyring
from medrec_shared.db import Database
from medrec_shared.logs import get_logger
from medrec_shared.ratelimit import RateLimiter
from medrec_shared.runtime import broker_reachable
from medrec_shared.web import create_base_app, health_router

log = get_logger(__name__)


async def bootstrap(db: Database, settings: IdentitySettings, keyring: Keyring) -> None:
    """First start: a signing key and the operator client; a later start with another
    configured secret gives the operator that one. Serialised across replicas."""
    async with db.sessions() as session, session.begin():
        await session.execute(text("SELECT pg_advisory_xact_lock(8001)"))
        keys = SigningKeyRepository(session)
        if await keys.active() is None:
            await keys.create(keyring)
        secret = settings.admin_client_secret
        if secret is None:
            return
        clients = ClientRepository(session)
        operator = await clients.get(settings.admin_client_id)
        if operator is None:
            await clients.add(
                new_client(
                    "operator", [], ["admin"], settings.admin_client_id, secret.get_secret_value()
                )
            )
        elif rotate_secret(operator, secret.get_secret_value()):
            # The configured secret is the operator's: changing it is how it is rotated.
            log.info("operator_secret_rotated", client_id=operator.client_id)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    keyring = LocalKeyring.from_spec(
        settings.field_keys.get_secret_value(), settings.field_key_active
    )
    keys = IdentityKeys.from_secret(settings.person_index_key)
    clock = build_clock(settings.clock_file)
    provider = build_provider(settings, keys)
    family_registry = build_http_registry(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bootstrap(db, settings, keyring)
        yield
        await provider.aclose()
        if family_registry is not None:
            await family_registry.http.aclose()
        await db.dispose()

    app = create_base_app(
        settings,
        title="medrec identity",
        description="OAuth2 tokens for institutions and services, citizen verification, "
        "guardianship.",
    )
    app.router.lifespan_context = lifespan
    app.state.db = db
    app.state.keyring = keyring
    app.state.keys = keys
    app.state.clock = clock
    app.state.verification_provider = provider
    app.state.family_registry = family_registry
    app.state.rate_limiter = RateLimiter(
        db.sessions,
        rate_events,
        clock.now,
        message="Too many verifications started; try again later.",
    )
    app.include_router(
        health_router(
            {
                "database": db.ping,
                "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
            }
        )
    )
    app.include_router(wellknown.router)
    app.include_router(clients.router)
    app.include_router(verification_api.router)
    app.include_router(me.router)
    app.include_router(family_api.router)
    if settings.sandbox:
        app.include_router(sandbox.router)
    return app
