from contextlib import AsyncExitStack

from medrec_issuance.app import keyring_of, object_store, service_credentials
from medrec_issuance.documents import IssuerSigner
from medrec_issuance.documents.confined import Renderers
from medrec_issuance.issuances.fulfilment import Fulfilment, IssuerPem
from medrec_issuance.issuances.handlers import (
    on_issuance_requested,
    on_record_destroyed,
    on_record_unlinked,
)
from medrec_issuance.issuer.service import load_or_create_issuer_pem
from medrec_issuance.models import dead_letters, messaging
from medrec_issuance.ports import CatalogPort, IngestPort
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.clock import build_clock
from medrec_shared.db import Transactions
from medrec_shared.http import ServiceClient
from medrec_shared.messaging import Outbox
from medrec_shared.runtime import (
    ConsumerTables,
    consumer_task,
    open_database,
    open_producer,
    relay_task,
)
from medrec_shared.topics import EVENT_RULES
from medrec_shared.vault import Vault
from medrec_shared.worker import Task


async def setup(stack: AsyncExitStack) -> dict[str, Task]:
    settings = IssuanceSettings()
    db = await open_database(stack, settings)
    producer = await open_producer(stack, settings, "issuance")
    keyring = keyring_of(settings)
    store = object_store(settings)
    await store.ensure_bucket(settings.copies_bucket)
    key_pem, cert_pem = await load_or_create_issuer_pem(Transactions.of(db), keyring)
    IssuerSigner.from_pem(key_pem, cert_pem)  # a key that cannot sign stops the worker here
    credentials = service_credentials(settings)
    catalog = ServiceClient(settings.catalog_url, credentials)
    ingest = ServiceClient(settings.ingest_url, credentials)
    stack.push_async_callback(catalog.aclose)
    stack.push_async_callback(ingest.aclose)
    vault = Vault(store, settings.copies_bucket, keyring)
    renderers = Renderers(settings.render_memory_max_bytes)
    stack.push_async_callback(renderers.aclose)
    await renderers.prepare()  # the first copy's child gets ready while the worker starts
    fulfilment = Fulfilment(
        settings,
        CatalogPort(catalog),
        IngestPort(ingest),
        vault,
        IssuerPem(key_pem, cert_pem),
        Outbox(messaging.outbox, "issuance", rules=EVENT_RULES),
        build_clock(settings.clock_file),
        renderers,
    )
    events = await consumer_task(
        stack,
        settings,
        db,
        ConsumerTables(messaging.inbox, dead_letters),
        "issuance",
        {
            "IssuanceRequested": on_issuance_requested(fulfilment),
            "RecordDestroyed": on_record_destroyed(fulfilment),
            "RecordUnlinked": on_record_unlinked(fulfilment),
        },
        rules=EVENT_RULES,
    )
    return {
        "outbox-relay": relay_task(db, messaging, producer, settings.outbox_relay_batch_size),
        "events": events,
    }
