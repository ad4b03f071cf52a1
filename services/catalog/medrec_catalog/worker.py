import asyncio
from contextlib import AsyncExitStack

from medrec_catalog import handlers, retention
from medrec_catalog.metadata import RecordMetadata
from medrec_catalog.models import messaging
from medrec_catalog.settings import CatalogSettings
from medrec_shared.clock import build_clock
from medrec_shared.http import ClientCredentials, ServiceClient
from medrec_shared.messaging import Outbox
from medrec_shared.runtime import consumer_task, open_database, open_producer, relay_task
from medrec_shared.worker import Task, every


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    settings = CatalogSettings()
    db = await open_database(stack, settings)
    producer = await open_producer(stack, settings, "catalog")
    ingest = ServiceClient(
        settings.ingest_url,
        ClientCredentials(
            settings.token_url,
            settings.client_id,
            settings.client_secret.get_secret_value(),
            "metadata:read",
        ),
    )
    stack.push_async_callback(ingest.aclose)

    metadata = RecordMetadata(ingest)

    events = await consumer_task(
        stack,
        settings,
        db,
        messaging.inbox,
        "catalog",
        [settings.topic_transfer, settings.topic_record, settings.topic_audit],
        {
            "TransferOpened": handlers.on_transfer_opened,
            "TransferReleased": handlers.on_transfer_released,
            "RecordStored": handlers.on_record_stored(metadata.lookup),
            "AccessRecorded": handlers.on_access_recorded,
            "RecordDestroyed": retention.on_record_gone,
            "RecordWithdrawn": retention.on_record_gone,
        },
        prefetch=metadata.prefetch,
    )
    outbox = Outbox(messaging.outbox, "catalog")
    clock = build_clock(settings.clock_file)

    async def retention_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.retention_sweep_seconds,
            lambda: retention.scheduled_sweep(db.sessions, outbox, settings, clock),
        )

    return {
        "outbox-relay": relay_task(db, messaging, producer),
        "events": events,
        "retention-sweep": retention_sweep,
    }
