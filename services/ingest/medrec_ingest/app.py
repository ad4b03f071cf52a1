import asyncio
import ctypes
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

from medrec_ingest import internal, openapi
from medrec_ingest.bodies import body_limits
from medrec_ingest.bootstrap import build
from medrec_ingest.deposit import endpoints as deposit
from medrec_ingest.destruction import endpoints as destruction
from medrec_ingest.fhir import endpoints as fhir
from medrec_ingest.fields import RRN_IN_TEXT
from medrec_ingest.jobs import endpoints as jobs
from medrec_ingest.linkage import endpoints as linkage
from medrec_ingest.models import dead_letters
from medrec_ingest.records import facts
from medrec_ingest.release import endpoints as release
from medrec_ingest.segments import endpoints as segments
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers import admin as transfers_admin
from medrec_ingest.transfers import endpoints as transfers
from medrec_shared.platform.deadletters.endpoints import dead_letter_router
from medrec_shared.platform.observability.refresh import api_probes, refreshing
from medrec_shared.platform.web import create_base_app, dependency_checks, health_router
from medrec_shared.rules.staff import DEAD_LETTERS_MANAGE
from medrec_shared.rules.staff_acts import dead_letter_retry_act

Handler = Callable[[Request, Exception], Awaitable[Response]]


def _masking(handler: Handler) -> Handler:
    async def masked(request: Request, exc: Exception) -> Response:
        path = request.scope.get("path", "")
        if RRN_IN_TEXT.search(path):
            masked_path = RRN_IN_TEXT.sub("…", path)
            scope: dict[str, Any] = {**request.scope, "path": masked_path,
                                     "raw_path": masked_path.encode()}  # fmt: skip
            request = Request(scope, request.receive)
        return await handler(request, exc)

    return masked


def mask_personal_paths(app: FastAPI) -> None:
    """Problems name their request path (`instance`) and unexpected errors log it; a client may
    have put an RRN in it (as an external_id, which is refused): such segments are masked."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _masking(handler)  # type: ignore[arg-type]


def return_large_buffers_to_the_os() -> None:
    """Upload parts (8 MiB each) are freed as fast as they are made. glibc would raise its mmap
    threshold after the first and keep the rest in its heap, so the process's RSS would grow
    past what it uses; a fixed threshold has them mapped and unmapped, so RSS tracks use."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_mmap_threshold = -3
    libc.mallopt(m_mmap_threshold, 256 * 1024)


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    components = build(settings, verify_tokens=True)
    return_large_buffers_to_the_os()
    store = components.vault.store

    checks = dependency_checks(components.db, store)
    # the outbox, dead letters, dependencies and pool as gauges, refreshed while it serves
    probes = api_probes(
        "ingest", components.db, components.outbox.table, checks, dead_letters=dead_letters
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Object-store calls run in worker threads: as many as minio's connection pool holds
        # (10), so a batch's concurrent uploads are not capped by the CPU count (the default
        # pool has cpu_count + 4 threads).
        workers = ThreadPoolExecutor(10, thread_name_prefix="io")
        asyncio.get_running_loop().set_default_executor(workers)
        await store.ensure_bucket(components.settings.records_bucket)
        async with refreshing(probes):
            yield
        await components.aclose()

    app = create_base_app(
        components,
        title="medrec ingest",
        description="The open transfer API: institutions, their EMR vendors and health centres "
        "deposit records, encrypted before they are stored.",
        body_limits=body_limits(components.settings),
    )
    app.router.lifespan_context = lifespan
    app.include_router(health_router(checks))
    app.include_router(transfers.router)  # open, list, read, complete
    app.include_router(deposit.router)  # one record, its content, a batch
    app.include_router(fhir.router)  # ITI-65 (MHD Document Recipient) and its metadata
    app.include_router(openapi.router)
    app.include_router(internal.router)
    app.include_router(linkage.router)  # demographics for catalog's linkage review
    app.include_router(facts.router)  # dates and amounts for issuance's documents
    app.include_router(release.router)
    app.include_router(transfers_admin.router)  # staff's oversight of transfers
    app.include_router(destruction.router)
    app.include_router(segments.router)  # compaction and sweep, now
    app.include_router(
        dead_letter_router(
            dead_letters,
            scope=DEAD_LETTERS_MANAGE,
            on_retry=dead_letter_retry_act(components.settings.topic_audit),
        )
    )
    app.include_router(jobs.router)  # key re-wrap and linkage backfill, with their progress
    openapi.install_openapi(app)
    mask_personal_paths(app)
    return app
