from contextlib import AsyncExitStack

from medrec_issuance.bootstrap import build
from medrec_issuance.documents import IssuerSigner
from medrec_issuance.documents.confined import Renderers
from medrec_issuance.issuances.fulfilment import Fulfilment
from medrec_issuance.issuances.handlers import (
    on_issuance_requested,
    on_record_destroyed,
    on_record_unlinked,
    on_transfer_completed,
)
from medrec_issuance.issuances.rendering import CopyRendering
from medrec_issuance.models import dead_letters, messaging
from medrec_shared.platform.runtime import (
    ConsumerTables,
    consumer_task,
    monitoring_tasks,
    open_producer,
    relay_task,
)
from medrec_shared.platform.worker import Task
from medrec_shared.rules.topics import EVENT_RULES, produces


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    components = build()
    stack.push_async_callback(components.aclose)
    settings = components.settings
    producer = await open_producer(stack, settings, "issuance")
    await components.store.ensure_bucket(settings.copies_bucket)
    issuer = await components.issuer.load()
    IssuerSigner.from_pem(issuer.key_pem, issuer.cert_pem)  # a key that cannot sign stops it here
    # The worker's own: its confined render children (the process hides itself from them).
    renderers = Renderers(settings.render_memory_max_bytes)
    stack.push_async_callback(renderers.aclose)
    await renderers.prepare()  # the first copy's child gets ready while the worker starts
    fulfilment = Fulfilment(
        settings=settings,
        catalog=components.catalog,
        ingest=components.ingest,
        vault=components.vault,
        issuer=issuer,
        clock=components.clock,
        renderers=renderers,
    )
    rendering = CopyRendering(
        transactions=components.transactions,
        fulfilment=fulfilment,
        settings=settings,
        clock=components.clock,
    )
    events = await consumer_task(
        stack,
        settings,
        components.db,
        ConsumerTables(messaging.inbox, dead_letters),
        "issuance",
        {
            "IssuanceRequested": on_issuance_requested(rendering),
            "RecordDestroyed": on_record_destroyed(fulfilment),
            "RecordUnlinked": on_record_unlinked(fulfilment),
            "TransferCompleted": on_transfer_completed(settings, components.clock),
        },
        outbox=components.outbox,  # what the handlers announce
        rules=EVENT_RULES,
    )
    return {
        "outbox-relay": relay_task(
            components.db, messaging, producer, settings.outbox_relay_batch_size
        ),
        "events": events,
        "copies": rendering.run,  # made outside any event's transaction: see its module
        # its pool, and the lag of the groups reading what it produces
        **monitoring_tasks(
            settings, "issuance", components.db, rules=EVENT_RULES, produced=produces("issuance")
        ),
    }
