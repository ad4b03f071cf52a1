"""The local engines, each started only when no URL for it is configured
(MEDREC_STACK_DATABASE_URL, _KAFKA, _S3_URL): embedded PostgreSQL, SeaweedFS for S3 and the
Tansu broker storing its log in that S3. All of them keep their data in the stack's data
directory and find it again on the next start."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from medrec_devstack import broker, objectstore, postgres
from medrec_devstack.datadir import DataDir
from medrec_devstack.processes import Process


@dataclass
class Infra:
    database_url: str  # postgresql+asyncpg://user@host:port (no database)
    kafka_bootstrap: str
    s3_url: str
    s3_access_key: str
    s3_secret_key: str
    processes: list[Process] = field(default_factory=list)

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
    try:
        if binaries["postgres"]:
            database_url, process = postgres.start(data.path, binaries["postgres"], fast=fast)
            processes.append(process)
        if binaries["weed"]:
            store = objectstore.start(data.path, binaries["weed"], fast=fast)
            processes.append(store.process)
            s3_url, access, secret = store.url, store.access_key, store.secret_key
        else:
            access = os.environ.get("MEDREC_STACK_S3_ACCESS_KEY", "")
            secret = os.environ.get("MEDREC_STACK_S3_SECRET_KEY", "")
        if binaries["tansu"]:
            kafka, process = broker.start(
                data.path, binaries["tansu"], broker_storage, s3_url, access, secret
            )
            processes.append(process)
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    return Infra(database_url.rstrip("/"), kafka, s3_url, access, secret, processes)
