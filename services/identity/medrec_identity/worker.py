from contextlib import AsyncExitStack

from medrec_identity.housekeeping import housekeeping_job
from medrec_identity.models import messaging
from medrec_identity.settings import IdentitySettings
from medrec_shared.clock import build_clock
from medrec_shared.db import Transactions
from medrec_shared.runtime import open_database, open_producer, relay_task
from medrec_shared.topics import produces
from medrec_shared.worker import Task, every

HOUSEKEEPING_SECONDS = 300


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    settings = IdentitySettings()
    db = await open_database(stack, settings)
    job = housekeeping_job(Transactions.of(db), settings, build_clock(settings.clock_file))
    tasks: dict[str, Task] = {"housekeeping": lambda stop: every(stop, HOUSEKEEPING_SECONDS, job)}
    # identity's one event is PersonVerified (medrec_shared.topics); should it own none again,
    # its worker opens no producer: its KafkaUser would have no grant, and an idempotent
    # producer's InitProducerId would be refused without one.
    if produces("identity"):
        producer = await open_producer(stack, settings, "identity")
        tasks["outbox-relay"] = relay_task(
            db, messaging, producer, settings.outbox_relay_batch_size
        )
    return tasks
