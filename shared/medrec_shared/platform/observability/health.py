"""The worker's liveness, and the small HTTP server on its metrics port: `/metrics` (Prometheus)
and `/healthz` (200 while its tasks run and its event loop ticked within `STALE_AFTER_SECONDS`,
503 otherwise: a loop blocked by a hung call, or a task that ended, is a worker the kubelet
restarts). Served from a thread of its own, so it answers while the event loop is blocked."""

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import prometheus_client

from medrec_shared.platform.observability.metrics import WORKER_HEARTBEAT

STALE_AFTER_SECONDS = 30.0
BEAT_SECONDS = 1.0

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WorkerHealth:
    """Beaten by a task on the worker's event loop (`beat`); read by the server's thread."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._last_beat: float | None = None  # monotonic
        self._tasks_running: Callable[[], bool] = lambda: False

    def watch(self, tasks_running: Callable[[], bool]) -> None:
        self._tasks_running = tasks_running

    def beat(self) -> None:
        self._last_beat = time.monotonic()
        WORKER_HEARTBEAT.labels(self.service).set_to_current_time()

    def healthy(self) -> bool:
        last = self._last_beat
        fresh = last is not None and time.monotonic() - last < STALE_AFTER_SECONDS
        return fresh and self._tasks_running()

    async def beating(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.beat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BEAT_SECONDS)


def worker_app(health: WorkerHealth) -> WsgiApp:
    metrics = prometheus_client.make_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            ok = health.healthy()
            body = json.dumps({"status": "ok" if ok else "unhealthy"}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if path == "/metrics":
            return metrics(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes every few seconds: not worth a log line each."""


def serve_worker(port: int, host: str, health: WorkerHealth) -> None:
    """`/metrics` and `/healthz` on `port` (0: none), from a daemon thread."""
    if not port:
        return
    server = make_server(host, port, worker_app(health), _Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
