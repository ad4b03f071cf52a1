import asyncio
from contextlib import AsyncExitStack

from medrec_ingest.bootstrap import build
from medrec_ingest.destruction.handlers import on_retention_due
from medrec_ingest.linkage.handlers import on_record_linked, on_record_unlinked
from medrec_ingest.models import dead_letters, messaging
from medrec_ingest.segments.service import tidy
from medrec_shared.platform.runtime import ConsumerTables, consumer_task, open_producer, relay_task
from medrec_shared.platform.worker import Task, every
from medrec_shared.rules.topics import EVENT_RULES


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    components = build()
    stack.push_async_callback(components.aclose)
    settings, db = components.settings, components.db
    producer = await open_producer(stack, settings, "ingest")
    events = await consumer_task(
        stack,
        settings,
        db,
        ConsumerTables(messaging.inbox, dead_letters),
        "ingest",
        {
            "RecordRetentionDue": on_retention_due(components.destructions),
            "RecordLinked": on_record_linked,
            "RecordUnlinked": on_record_unlinked,
        },
        outbox=components.outbox,  # what the handlers announce
        rules=EVENT_RULES,
    )

    async def release_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.release_sweep_seconds,
            lambda: components.destructions.destroy_unreclaimed(components.clock.now()),
        )

    async def segment_sweep(stop: asyncio.Event) -> None:
        await every(
            stop,
            settings.segment_sweep_seconds,
            lambda: tidy(
                components.transactions,
                components.vault,
                settings.segment_live_share,
                settings.orphan_grace_seconds,
            ),
        )

    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
        "release-sweep": release_sweep,
        "segment-sweep": segment_sweep,
    }
