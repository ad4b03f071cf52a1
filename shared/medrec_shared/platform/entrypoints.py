"""What every service's console scripts do: serve the API, run the worker, migrate."""

import asyncio
import gc
import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Protocol

import prometheus_client
import uvicorn
from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from medrec_shared.platform.logs import configure_logging
from medrec_shared.platform.migrations import upgrade_head
from medrec_shared.platform.observability.health import WorkerHealth, serve_worker
from medrec_shared.platform.settings import ServiceSettings
from medrec_shared.platform.tracing import configure_tracing, instrument_app
from medrec_shared.platform.worker import Task, run_until_stopped


class ApiSettings(Protocol):
    """What serving an API needs of its settings (a service's, or the portal's)."""

    @property
    def log_level(self) -> str: ...
    @property
    def api_host(self) -> str: ...
    @property
    def api_port(self) -> int: ...
    @property
    def forwarded_allow_ips(self) -> str: ...
    @property
    def api_metrics_port(self) -> int: ...
    @property
    def api_reuse_port(self) -> bool: ...


def serve_api(name: str, settings: ApiSettings, app_factory: Callable[[], FastAPI]) -> None:
    configure_logging(name, settings.log_level)
    configure_tracing(f"medrec-{name}")  # before the app: its database engine is traced
    app = app_factory()
    instrument_app(app)
    # /metrics on a port of its own, as the worker's: the public port serves none, so the
    # monitoring namespace is let reach this port only, never the API's routes.
    serve_metrics(settings.api_metrics_port, settings.api_host)
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    if not settings.api_reuse_port:
        server.run()
        return
    # Replicas on one machine (`medrec-stack run --replicas N`): each binds the one port with
    # SO_REUSEPORT and the kernel spreads new connections among them; one that dies takes only
    # its own connections with it. (In Kubernetes each pod has its own address: unset there.)
    server.run(sockets=[reuse_port_socket(settings.api_host, settings.api_port)])


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port) that other processes may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_metrics(port: int, host: str) -> None:
    """Prometheus /metrics on `port` (0: none), from a thread of its own."""
    if port:
        prometheus_client.start_http_server(port, host)


WorkerSetup = Callable[[AsyncExitStack], Awaitable[dict[str, Task]]]


def run_worker(name: str, settings: ServiceSettings, setup: WorkerSetup) -> None:
    """`setup` opens the worker's resources on the exit stack and returns its tasks."""
    configure_logging(name + "-worker", settings.log_level)
    configure_tracing(f"medrec-{name}-worker")
    if not settings.kafka_bootstrap_servers:
        setting = f"MEDREC_{name.upper()}_KAFKA_BOOTSTRAP_SERVERS"
        raise SystemExit(f"the worker relays and consumes events: set {setting}")
    # /metrics and /healthz (the liveness probe's) on the worker's metrics port.
    health = WorkerHealth(name)
    serve_worker(settings.worker_metrics_port, settings.api_host, health)

    async def main() -> None:
        async with AsyncExitStack() as resources:
            await run_until_stopped(await setup(resources), health)

    asyncio.run(main())


class MigrationSettings(BaseSettings):
    """All a migration needs: a pod that migrates holds the database URL and nothing else."""

    model_config = SettingsConfigDict(extra="ignore")
    database_url: str
    log_level: str = "INFO"


def migrate(name: str, service_dir: Path) -> None:
    settings = MigrationSettings(_env_prefix=f"MEDREC_{name.upper()}_")
    configure_logging(name + "-migrate", settings.log_level)
    upgrade_head(service_dir, settings.database_url, f"alembic_version_{name}")
