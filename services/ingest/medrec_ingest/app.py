from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from medrec_ingest import internal, records, transfers
from medrec_ingest.models import messaging
from medrec_ingest.settings import IngestSettings
from medrec_shared.crypto import LocalKeyring
from medrec_shared.db import Database
from medrec_shared.messaging import Outbox
from medrec_shared.runtime import broker_reachable
from medrec_shared.storage import ObjectStore
from medrec_shared.vault import Vault
from medrec_shared.web import create_base_app, health_router


def object_store(settings: IngestSettings) -> ObjectStore:
    return ObjectStore.from_url(
        settings.s3_url,
        settings.s3_access_key.get_secret_value(),
        settings.s3_secret_key.get_secret_value(),
    )


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    db = Database(settings.database_url)
    keyring = LocalKeyring.from_spec(
        settings.content_keys.get_secret_value(), settings.content_key_active
    )
    store = object_store(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.ensure_bucket(settings.records_bucket)
        yield
        await db.dispose()

    app = create_base_app(
        settings,
        title="medrec ingest",
        description="The open transfer API: institutions, their EMR vendors and health centres "
        "deposit records, encrypted before they are stored.",
    )
    app.router.lifespan_context = lifespan
    app.state.db = db
    app.state.vault = Vault(store, settings.records_bucket, keyring)
    app.state.outbox = Outbox(messaging.outbox, "ingest")
    app.include_router(
        health_router(
            {
                "database": db.ping,
                "broker": lambda: broker_reachable(settings.kafka_bootstrap_servers),
                "storage": store.ping,
            }
        )
    )
    app.include_router(transfers.router)
    app.include_router(records.router)
    app.include_router(internal.router)
    return app
