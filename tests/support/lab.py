"""Extra api processes of one service for tests that need settings the shared cluster does not
have (a movable clock, low rate limits, another provider or registry). They run the same code
against the same database as the cluster's service, on their own ports, logging into the
cluster's log dir."""

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from medrec_devstack.cluster import Cluster
from medrec_devstack.processes import Process, ProcessDied, free_port, wait_until


def new_address() -> str:
    """A client address in 198.18.0.0/15 (benchmarking, never routed), unique enough per test."""
    return f"198.{random.randrange(18, 20)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@dataclass
class Lab:
    cluster: Cluster
    name: str
    clock_file: Path
    processes: list[Process] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def url(self, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[replica]}"

    def client(self, replica: int = 0, *, address: str | None = None) -> httpx.Client:
        """A client whose address the lab sees as `address` (X-Forwarded-For from 127.0.0.1 is
        trusted by uvicorn)."""
        headers = {"X-Forwarded-For": address or new_address()}
        return httpx.Client(base_url=self.url(replica), timeout=30, headers=headers)

    def set_clock(self, instant: datetime | None) -> None:
        """Stand the lab's clock still at `instant`; None gives it the real time again."""
        self.clock_file.write_text(instant.isoformat() if instant else "")

    def log_text(self) -> str:
        return "\n".join(p.log_path.read_text(errors="replace") for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@contextmanager
def service_lab(
    cluster: Cluster,
    service: str,
    name: str,
    extra_env: dict[str, str] | None = None,
    *,
    replicas: int = 1,
    ports: list[int] | None = None,
) -> Iterator[Lab]:
    """`replicas` api processes of `service` (a front door too: its one process), on `ports` when
    given (a test that must name a lab's address before it starts, as an OIDC redirect URI)."""
    clock_file = cluster.state / f"clock-{name}"
    clock_file.write_text("")
    lab = Lab(cluster, name, clock_file)
    command = f"medrec-{service}" if service in ("portal", "console") else f"medrec-{service}-api"
    binary = str(Path(sys.executable).parent / command)
    prefix = f"MEDREC_{service.upper()}_"
    try:
        for replica in range(replicas):
            port = ports[replica] if ports else free_port()
            env = cluster.env(service) | {
                prefix + "API_PORT": str(port),
                prefix + "CLOCK_FILE": str(clock_file),
                **(extra_env or {}),
            }
            log = cluster.logs / f"{service}-{name}-{replica}.log"
            process = Process(f"{service}-{name}-{replica}", [binary], log, env=env).start()
            lab.processes.append(process)
            lab.ports.append(port)
        for replica, process in enumerate(lab.processes):

            def ready(process: Process = process, replica: int = replica) -> bool:
                if not process.alive():
                    raise ProcessDied(f"{process.name} exited; see {process.log_path}")
                return httpx.get(f"{lab.url(replica)}/readyz", timeout=2).status_code == 200

            wait_until(ready, timeout=60, what=f"{process.name} /readyz", interval=0.1)
        yield lab
    finally:
        lab.stop()
