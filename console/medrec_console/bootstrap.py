"""The console's composition root: what it holds (settings, clock, database, session store, the
APIs' clients) built once by `build`, put on the app by `install` and read back by
`components_of`, the one place `app.state` is touched. The console has no outbox and checks no
tokens itself (the APIs do: every act is decided by the service that owns it)."""

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI, Request

from medrec_console.clients import Apis, ConsoleClients
from medrec_console.sessions.service import SessionStore
from medrec_console.settings import ConsoleSettings
from medrec_shared.platform.clock import Clock, build_clock
from medrec_shared.platform.crypto import LocalKeyring
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.frontdoor.sessions import SessionIds


@dataclass(frozen=True, kw_only=True)
class ConsoleComponents:
    settings: ConsoleSettings
    clock: Clock
    db: Database
    sessions: SessionStore
    clients: ConsoleClients

    @property
    def transactions(self) -> Transactions:
        return Transactions.of(self.db)

    async def aclose(self) -> None:
        await self.clients.aclose()
        await self.db.dispose()


def build(settings: ConsoleSettings | None = None) -> ConsoleComponents:
    """Everything the console holds, built once; nothing connects until first used."""
    settings = settings or ConsoleSettings()
    # Session ids are tagged with the CSRF key (under a label of their own): no other secret
    # to deploy, and ids and tokens stay apart.
    session_ids = SessionIds(settings.csrf_key.get_secret_value().encode())
    sessions = SessionStore(
        LocalKeyring.from_spec(
            settings.session_keys.get_secret_value(), settings.session_key_active
        ),
        timedelta(seconds=settings.session_idle_seconds),
        session_ids,
    )
    apis = Apis.connect(
        identity_url=settings.identity_url,
        ingest_url=settings.ingest_url,
        catalog_url=settings.catalog_url,
        issuance_url=settings.issuance_url,
        timeout=settings.api_timeout_seconds,
    )
    return ConsoleComponents(
        settings=settings,
        clock=build_clock(settings.clock_file),
        db=Database(settings.database_url, pool_size=settings.database_pool_size),
        sessions=sessions,
        clients=ConsoleClients.over(apis),
    )


def install(app: FastAPI, components: ConsoleComponents) -> None:
    app.state.components = components


def components_of(request: Request) -> ConsoleComponents:
    found = request.app.state.components
    assert isinstance(found, ConsoleComponents), "create_app installs the console's components"
    return found
