import asyncio
from contextlib import AsyncExitStack

from medrec_catalog.access_log.handlers import on_access_recorded
from medrec_catalog.directory.handlers import on_transfer_opened, on_transfer_released
from medrec_catalog.linkage.handlers import on_match_key_assigned, on_person_verified
from medrec_catalog.models import dead_letters, messaging
from medrec_catalog.records.handlers import on_record_stored
from medrec_catalog.records.metadata import RecordMetadata
from medrec_catalog.retention.handlers import on_record_gone
from medrec_catalog.retention.service import scheduled_sweep
from medrec_catalog.settings import CatalogSettings
from medrec_shared.clock import build_clock
from medrec_shared.db import Transactions
from medrec_shared.http import ClientCredentials, ServiceClient
from medrec_shared.messaging import Outbox
from medrec_shared.runtime import (
    ConsumerTables,
    consumer_task,
    open_database,
    open_producer,
    relay_task,
)
from medrec_shared.topics import EVENT_RULES
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
    clock = build_clock(settings.clock_file)

    events = await consumer_task(
        stack,
        settings,
        db,
        ConsumerTables(messaging.inbox, dead_letters),
        "catalog",
        {
            "TransferOpened": on_transfer_opened,
            "TransferReleased": on_transfer_released,
            "RecordStored": on_record_stored(metadata.lookup, clock),
            "PersonVerified": on_person_verified(clock),
            "RecordMatchKeyAssigned": on_match_key_assigned(clock),
            "AccessRecorded": on_access_recorded,
            "RecordDestroyed": on_record_gone,
            "RecordWithdrawn": on_record_gone,
        },
        prefetch=metadata.prefetch,
        rules=EVENT_RULES,
    )
    outbox = Outbox(messaging.outbox, "catalog", rules=EVENT_RULES)
    transactions = Transactions.of(db)

    async def retention_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.retention_sweep_seconds,
            lambda: scheduled_sweep(transactions, outbox, settings, clock),
        )

    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
        "retention-sweep": retention_sweep,
    }
