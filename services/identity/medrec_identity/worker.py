"""identity's worker: housekeeping, and the outbox relay; from the same components as the API
(`bootstrap.build`)."""

from contextlib import AsyncExitStack

from medrec_identity.bootstrap import build
from medrec_identity.housekeeping import housekeeping_job
from medrec_identity.models import messaging, schedule_runs
from medrec_shared.platform.runtime import monitoring_tasks, open_producer, relay_task
from medrec_shared.platform.schedule import Scheduled, ScheduleRuns
from medrec_shared.platform.worker import Task
from medrec_shared.rules.topics import EVENT_RULES, produces

HOUSEKEEPING_SECONDS = 300


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    components = build()
    stack.push_async_callback(components.aclose)
    settings = components.settings
    job = housekeeping_job(components.transactions, settings, components.clock)
    # Once per period whichever replica wins it (medrec_shared.platform.schedule).
    runs = ScheduleRuns(components.db.engine, schedule_runs)
    housekeeping = Scheduled("housekeeping", HOUSEKEEPING_SECONDS, job, runs, components.clock)
    tasks: dict[str, Task] = {"housekeeping": housekeeping.run}
    # identity's one event is PersonVerified (medrec_shared.rules.topics); should it own none again,
    # its worker opens no producer: its KafkaUser would have no grant, and an idempotent
    # producer's InitProducerId would be refused without one.
    if produces("identity"):
        producer = await open_producer(stack, settings, "identity")
        tasks["outbox-relay"] = relay_task(
            components.db, messaging, producer, settings.outbox_relay_batch_size
        )
    # its pool, and the lag of the groups reading what it produces
    monitoring = monitoring_tasks(
        settings, "identity", components.db, rules=EVENT_RULES, produced=produces("identity")
    )
    return tasks | monitoring
