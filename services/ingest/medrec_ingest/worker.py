import asyncio
from contextlib import AsyncExitStack

from medrec_ingest.app import build_vault
from medrec_ingest.destruction.handlers import on_retention_due
from medrec_ingest.destruction.service import destroy_unreclaimed
from medrec_ingest.linkage.handlers import on_record_linked, on_record_unlinked
from medrec_ingest.models import dead_letters, messaging
from medrec_ingest.segments.service import tidy
from medrec_ingest.settings import IngestSettings
from medrec_shared.clock import build_clock
from medrec_shared.db import Transactions
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
    settings = IngestSettings()
    db = await open_database(stack, settings)
    producer = await open_producer(stack, settings, "ingest")
    vault = build_vault(settings)
    outbox = Outbox(messaging.outbox, "ingest", rules=EVENT_RULES)
    clock = build_clock(settings.clock_file)
    events = await consumer_task(
        stack,
        settings,
        db,
        ConsumerTables(messaging.inbox, dead_letters),
        "ingest",
        {
            "RecordRetentionDue": on_retention_due(vault, outbox, settings, clock),
            "RecordLinked": on_record_linked,
            "RecordUnlinked": on_record_unlinked,
        },
        rules=EVENT_RULES,
    )

    async def release_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.release_sweep_seconds,
            lambda: destroy_unreclaimed(Transactions.of(db), vault, outbox, settings, clock.now()),
        )

    async def segment_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.segment_sweep_seconds,
            lambda: tidy(Transactions.of(db), vault, settings.segment_live_share),
        )

    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
        "release-sweep": release_sweep,
        "segment-sweep": segment_sweep,
    }
