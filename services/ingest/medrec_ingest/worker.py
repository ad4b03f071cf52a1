from contextlib import AsyncExitStack

from medrec_ingest.models import messaging
from medrec_ingest.settings import IngestSettings
from medrec_shared.runtime import open_database, open_producer, relay_task
from medrec_shared.worker import Task


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    settings = IngestSettings()
    db = await open_database(stack, settings)
    producer = await open_producer(stack, settings, "ingest")
    return {"outbox-relay": relay_task(db, messaging, producer)}
