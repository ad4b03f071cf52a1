"""The local engines, each started only when no URL for it is configured
(MEDREC_STACK_DATABASE_URL, _KAFKA, _S3_URL): embedded PostgreSQL, SeaweedFS for S3 and the
Tansu broker storing its log in that S3. All of them keep their data in the stack's data
directory and find it again on the next start. One engine may be stopped and started again
alone (`Infra.stop_engine`, `start_engine`), on the same data directory and the same port(s), as
an outage would take it away and bring it back: its clients find it where it was."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from medrec_devstack import broker, objectstore, postgres
from medrec_devstack.datadir import DataDir, LauncherError
from medrec_devstack.processes import Process


@dataclass
class Infra:
    database_url: str  # postgresql+asyncpg://user@host:port (no database)
    kafka_bootstrap: str
    s3_url: str
    s3_access_key: str
    s3_secret_key: str
    processes: list[Process] = field(default_factory=list)
    # How each engine this stack started ("postgres", "objectstore", "broker") starts again on
    # its directory and port(s): an engine configured by URL is not ours to stop.
    restarts: dict[str, Callable[[], Process]] = field(default_factory=dict, repr=False)

    def engine(self, name: str) -> Process:
        found = next((p for p in self.processes if p.name == name), None)
        if found is None or name not in self.restarts:
            raise LauncherError(f"{name} is not an engine this stack started")
        return found

    def stop_engine(self, name: str) -> None:
        """Stops one engine as an outage would take it away (its stop signal: PostgreSQL's is a
        fast shutdown that tells its clients), the others left running."""
        self.engine(name).stop(timeout=60)

    def start_engine(self, name: str) -> None:
        """Starts a stopped engine again on its data directory and port(s), and waits until it
        serves. The broker keeps its log on the object store: start that one first."""
        old = self.engine(name)
        if old.alive():
            old.stop(timeout=60)
        self.processes[self.processes.index(old)] = self.restarts[name]()

    def stop(self) -> None:
        for process in reversed(self.processes):  # the broker before the store it writes to
            process.stop(timeout=60)  # time to flush and checkpoint

    def kill(self) -> None:
        """Every engine at once, as a power cut would."""
        for process in self.processes:
            process.kill(wait=False)


def start_infra(state: Path | DataDir, *, fast: bool = False, broker_storage: str = "s3") -> Infra:
    """Starts what is not configured; configured servers are used as they are.

    `fast` turns off fsync in PostgreSQL and SeaweedFS: for throwaway test stacks only, where a
    power cut may lose what a stack was given. `broker_storage="memory"` gives a throwaway
    broker that forgets its topics when it stops.
    """
    data = state if isinstance(state, DataDir) else DataDir(state)
    database_url = os.environ.get("MEDREC_STACK_DATABASE_URL", "")
    kafka = os.environ.get("MEDREC_STACK_KAFKA", "")
    s3_url = os.environ.get("MEDREC_STACK_S3_URL", "")
    # Every binary is found, and the directory checked, before anything starts or is written.
    binaries = {
        "postgres": postgres.binary() if not database_url else None,
        "weed": objectstore.binary() if not s3_url else None,
        "tansu": broker.binary() if not kafka else None,
    }
    data.open()
    processes: list[Process] = []
    restarts: dict[str, Callable[[], Process]] = {}
    try:
        if pg := binaries["postgres"]:
            database_url, process = postgres.start(data.path, pg, fast=fast)
            processes.append(process)
            pg_port = int(database_url.rsplit(":", 1)[1])
            restarts["postgres"] = lambda: postgres.start(data.path, pg, fast=fast, port=pg_port)[1]
        if weed := binaries["weed"]:
            store = objectstore.start(data.path, weed, fast=fast)
            processes.append(store.process)
            s3_url, access, secret = store.url, store.access_key, store.secret_key
            ports = store.ports
            restarts["objectstore"] = lambda: (
                objectstore.start(data.path, weed, fast=fast, ports=ports).process
            )
        else:
            access = os.environ.get("MEDREC_STACK_S3_ACCESS_KEY", "")
            secret = os.environ.get("MEDREC_STACK_S3_SECRET_KEY", "")
        if tansu := binaries["tansu"]:
            kafka, process = broker.start(data.path, tansu, broker_storage, s3_url, access, secret)
            processes.append(process)
            kafka_port = int(kafka.rsplit(":", 1)[1])
            restarts["broker"] = lambda: broker.start(
                data.path, tansu, broker_storage, s3_url, access, secret, port=kafka_port
            )[1]
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    return Infra(database_url.rstrip("/"), kafka, s3_url, access, secret, processes, restarts)
