"""catalog's worker: the outbox relay, the events consumer, the scheduled retention sweep (with
its retention_ending notices, once per period across the replicas), the notices' deliverer; all
from the same components as the API (`bootstrap.build`)."""

import asyncio
from contextlib import AsyncExitStack

from medrec_catalog.access_log.handlers import on_access_recorded
from medrec_catalog.audit.handlers import on_staff_acted
from medrec_catalog.bootstrap import build
from medrec_catalog.directory.handlers import (
    on_transfer_completed,
    on_transfer_opened,
    on_transfer_released,
)
from medrec_catalog.linkage.handlers import on_match_key_assigned, on_person_verified
from medrec_catalog.models import dead_letters, messaging, schedule_runs
from medrec_catalog.notices.handlers import both, on_notice_requested, on_person_signed_in
from medrec_catalog.records.handlers import on_record_stored, on_records_stored
from medrec_catalog.retention.handlers import on_record_gone
from medrec_catalog.transfer_requests.handlers import (
    on_transfer_completed as tell_those_who_asked,
)
from medrec_shared.platform.runtime import (
    ConsumerTables,
    consumer_task,
    monitoring_tasks,
    open_producer,
    relay_task,
)
from medrec_shared.platform.schedule import Scheduled, ScheduleRuns
from medrec_shared.platform.worker import Task, every
from medrec_shared.rules.topics import EVENT_RULES, produces


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    components = build()
    stack.push_async_callback(components.aclose)
    settings, db, clock = components.settings, components.db, components.clock
    producer = await open_producer(stack, settings, "catalog")
    metadata = components.metadata

    events = await consumer_task(
        stack,
        settings,
        db,
        ConsumerTables(messaging.inbox, dead_letters),
        "catalog",
        {
            "TransferOpened": on_transfer_opened(clock),
            "TransferReleased": on_transfer_released(clock),
            # the directory's custody (no transfer open any more), then those who asked told
            "TransferCompleted": both(on_transfer_completed, tell_those_who_asked(clock)),
            "RecordStored": on_record_stored(metadata.lookup, clock),
            "PersonVerified": both(on_person_verified(clock), on_person_signed_in(clock)),
            "NoticeRequested": on_notice_requested(clock),
            "RecordMatchKeyAssigned": on_match_key_assigned(clock),
            "AccessRecorded": on_access_recorded,
            "StaffActed": on_staff_acted,
            "RecordDestroyed": on_record_gone,
            "RecordWithdrawn": on_record_gone,
        },
        prefetch=metadata.prefetch,
        # a bulk transfer's records, consecutive in a partition, go in with one statement
        batch_handlers={"RecordStored": on_records_stored(metadata.lookup, clock)},
        outbox=components.outbox,  # what the handlers announce
        rules=EVENT_RULES,
    )

    # Once per period whichever replica wins it (medrec_shared.platform.schedule).
    retention_sweep = Scheduled(
        "retention-sweep",
        settings.retention_sweep_seconds,
        components.retention.scheduled_sweep,
        ScheduleRuns(db.engine, schedule_runs),
        clock,
    )

    # Not a scheduled job: every replica drains the notices, each sending those it claimed.
    async def notice_delivery(stop: asyncio.Event) -> None:
        await every(stop, settings.notice_delivery_seconds, components.notices.deliver_pending)

    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
        "retention-sweep": retention_sweep.run,
        "notice-delivery": notice_delivery,
        # its pool, and the lag of the groups reading what it produces
        **monitoring_tasks(
            settings, "catalog", db, rules=EVENT_RULES, produced=produces("catalog")
        ),
    }
