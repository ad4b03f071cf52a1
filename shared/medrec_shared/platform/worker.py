"""The worker process: outbox relay, consumers and scheduled jobs until SIGTERM or Ctrl-C."""

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from medrec_shared.platform.logs import get_logger

if TYPE_CHECKING:
    from medrec_shared.platform.observability.health import WorkerHealth

log = get_logger("medrec.worker")
Task = Callable[[asyncio.Event], Awaitable[None]]


async def run_until_stopped(tasks: dict[str, Task], health: "WorkerHealth | None" = None) -> None:
    """Runs the tasks until a signal, or until one fails: then the process exits non-zero so
    its supervisor (Kubernetes, the local stack) restarts it. `health` is beaten from the event
    loop and told whether every task still runs (the worker's /healthz)."""
    stop = asyncio.Event()
    if health is not None:
        tasks = {**tasks, "heartbeat": health.beating}
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running: dict[asyncio.Future[object], str] = {
        asyncio.ensure_future(task(stop)): name for name, task in tasks.items()
    }
    if health is not None:
        health.watch(lambda: not stop.is_set() and not any(t.done() for t in running))
    log.info("worker_started", tasks=sorted(tasks))
    stopper: asyncio.Future[object] = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait([*running, stopper], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not stopper and t.exception() is not None]
    for task in failed:
        log.error(
            "worker_task_failed", task=running[task], error_type=type(task.exception()).__name__
        )
    stop.set()
    await asyncio.wait(running, timeout=10)
    for task in running:
        task.cancel()
    log.info("worker_stopped")
    if failed:
        raise SystemExit(1)


async def every(stop: asyncio.Event, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
    """Runs `job` now and every `seconds` until stopped; a failing run is logged, then retried."""
    while not stop.is_set():
        try:
            await job()
        except Exception as exc:
            log.warning(
                "scheduled_job_failed",
                job=getattr(job, "__name__", "job"),
                error_type=type(exc).__name__,
            )
        await sleep_or_stop(stop, seconds)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleeps `seconds`, or less when asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
