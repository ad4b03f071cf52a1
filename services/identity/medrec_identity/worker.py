from contextlib import AsyncExitStack

from medrec_identity.models import messaging
from medrec_identity.settings import IdentitySettings
from medrec_shared.runtime import open_database, open_producer, relay_task
from medrec_shared.worker import Task


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    settings = IdentitySettings()
    db = await open_database(stack, settings)
    producer = await open_producer(stack, settings, "identity")
    return {"outbox-relay": relay_task(db, messaging, producer)}
