"""ingest's worker: the outbox relay, the events consumer, and the release and segment sweeps
(each once per period across the replicas: medrec_shared.platform.schedule)."""

from contextlib import AsyncExitStack

from medrec_ingest.bootstrap import build
from medrec_ingest.destruction.handlers import on_retention_due
from medrec_ingest.linkage.handlers import on_record_linked, on_record_unlinked
from medrec_ingest.models import dead_letters, messaging, schedule_runs
from medrec_ingest.segments.service import tidy
from medrec_shared.platform.runtime import (
    ConsumerTables,
    consumer_task,
    monitoring_tasks,
    open_producer,
    relay_task,
)
from medrec_shared.platform.schedule import Scheduled, ScheduleRuns
from medrec_shared.platform.worker import Task
from medrec_shared.rules.topics import EVENT_RULES, produces


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

    runs = ScheduleRuns(db.engine, schedule_runs)

    async def destroy_unreclaimed() -> object:
        return await components.destructions.destroy_unreclaimed(components.clock.now())

    async def tidy_segments() -> object:
        return await tidy(
            components.transactions,
            components.vault,
            settings.segment_live_share,
            settings.orphan_grace_seconds,
        )

    release_sweep = Scheduled(
        "release-sweep", settings.release_sweep_seconds, destroy_unreclaimed, runs, components.clock
    )
    segment_sweep = Scheduled(
        "segment-sweep", settings.segment_sweep_seconds, tidy_segments, runs, components.clock
    )

    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
        "release-sweep": release_sweep.run,
        "segment-sweep": segment_sweep.run,
        # its pool, and the lag of the groups reading what it produces
        **monitoring_tasks(settings, "ingest", db, rules=EVENT_RULES, produced=produces("ingest")),
    }
