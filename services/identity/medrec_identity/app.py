from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_identity import sandbox, wellknown
from medrec_identity.binding.select import build_binding
from medrec_identity.children import endpoints as children
from medrec_identity.clients import endpoints as clients
from medrec_identity.clients.oauth import install_oauth_errors
from medrec_identity.clients.service import OperatorClient, ensure_operator
from medrec_identity.family.select import build_http_registry
from medrec_identity.keys import IdentityKeys
from medrec_identity.models import messaging, rate_events
from medrec_identity.persons import endpoints as me
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.repository import SigningKeyRepository
from medrec_identity.verification import api as verification_api
from medrec_identity.verification.select import build_provider
from medrec_shared.auth import token_verifier
from medrec_shared.clock import build_clock
from medrec_shared.components import Components
from medrec_shared.crypto import Keyring, LocalKeyring
from medrec_shared.db import Database, Transactions
from medrec_shared.guardianship import check_guardian_token
from medrec_shared.logs import get_logger
from medrec_shared.messaging import Outbox
from medrec_shared.ratelimit import RateLimiter
from medrec_shared.topics import EVENT_RULES
from medrec_shared.web import create_base_app, dependency_checks, health_router

log = get_logger(__name__)


async def bootstrap(
    transactions: Transactions, settings: IdentitySettings, keyring: Keyring
) -> None:
    """First start: a signing key and the operator client; a later start with another
    configured secret gives the operator that one. One transaction, serialised across
    replicas."""
    async with transactions.begin() as session:
        keys = SigningKeyRepository(session)
        await keys.lock()
        if await keys.active() is None:
            await keys.create(keyring)
        secret = settings.admin_client_secret
        if secret is None:
            return
        client_id = settings.admin_client_id
        done = await ensure_operator(session, client_id, secret.get_secret_value())
        if done is OperatorClient.rotated:
            # The configured secret is the operator's: changing it is how it is rotated.
            log.info("operator_secret_rotated", client_id=client_id)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    keyring = LocalKeyring.from_spec(
        settings.field_keys.get_secret_value(), settings.field_key_active
    )
    keys = IdentityKeys.from_secret(settings.person_index_key)
    clock = build_clock(settings.clock_file)
    provider = build_provider(settings, keys)
    binding = build_binding(settings)
    family_registry = build_http_registry(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bootstrap(Transactions.of(db), settings, keyring)
        yield
        await provider.aclose()
        await binding.aclose()
        if family_registry is not None:
            await family_registry.http.aclose()
        await db.dispose()

    # Transitional (#26): each service's bootstrap.py builds these.
    components = Components(
        settings=settings,
        clock=clock,
        db=db,
        outbox=Outbox(messaging.outbox, "identity", rules=EVENT_RULES),
        token_verifier=token_verifier(settings, checks=(check_guardian_token,)),
    )
    app = create_base_app(
        components,
        title="medrec identity",
        description="OAuth2 tokens for institutions and services, citizen verification, "
        "guardianship.",
    )
    app.router.lifespan_context = lifespan
    app.state.settings = settings
    app.state.clock = components.clock
    app.state.db = db
    app.state.keyring = keyring
    app.state.keys = keys
    app.state.verification_provider = provider
    app.state.identity_binding = binding
    app.state.family_registry = family_registry
    app.state.rate_limiter = RateLimiter(
        db.sessions,
        rate_events,
        clock.now,
        message="Too many verifications started; try again later.",
    )
    app.state.token_rate_limiter = RateLimiter(db.sessions, rate_events, clock.now)
    install_oauth_errors(app)
    app.include_router(health_router(dependency_checks(db)))
    app.include_router(wellknown.router)
    app.include_router(clients.router)
    app.include_router(verification_api.router)
    app.include_router(me.router)
    app.include_router(me.internal_router)
    app.include_router(children.router)
    if settings.sandbox:
        app.include_router(sandbox.router)
    return app
