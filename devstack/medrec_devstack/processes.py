"""Child processes of the local stack: started in their own process group, logs to files,
stopped with their stop signal (SIGTERM; SIGINT for PostgreSQL) then SIGKILL, so nothing is left
behind."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports_with_offset(count: int, offset: int) -> list[int]:
    """`count` distinct ports that are free, each with `port + offset` free too."""
    chosen: list[int] = []
    for port in random.sample(range(11000, 65535 - offset), 2000):
        if all(_bindable(p) for p in (port, port + offset)) and not {
            port, port + offset} & {c + d for c in chosen for d in (0, offset)}:  # fmt: skip
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"no {count} free pairs of ports {offset} apart")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ProcessDied(RuntimeError):
    """Raised by a readiness check to stop waiting at once."""


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except ProcessDied:
            raise
        except Exception:  # noqa: S110 - not ready yet; the deadline decides
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f}s")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "Process":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - argv is ours
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            start_new_session=True,
            user=self.user,
        )
        log.close()
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0, *, asked: bool = False) -> int | None:
        """The stop signal (unless `asked` already), then SIGKILL after `timeout`."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            if not asked:
                _signal_group(self.popen.pid, self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        _signal_group(self.popen.pid, signal.SIGKILL)  # stragglers in its group
        return self.popen.returncode

    def kill(self, *, wait: bool = True) -> None:
        """As a crash would: no chance to clean up."""
        if self.popen is not None and self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGKILL)
            if wait:
                self.popen.wait(5)

    def wait_serving(self, check: Callable[[], bool], *, what: str, timeout: float) -> None:
        """Waits until `check` passes; a process that exits first is reported with the last
        line of its log, as one line."""

        def serving() -> bool:
            if not self.alive():
                raise ProcessDied(
                    f"{what} exited at start: {self.last_log_line()} (see {self.log_path})"
                )
            return check()

        try:
            wait_until(serving, timeout=timeout, what=what, interval=0.1)
        except TimeoutError:
            self.stop()
            raise TimeoutError(
                f"{what} did not answer within {timeout:.0f}s; see {self.log_path}"
            ) from None
        except ProcessDied:
            self.stop()
            raise

    def last_log_line(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1][:300] if lines else "no output"

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout)


def stop_all(processes: list[Process], timeout: float = 10.0) -> None:
    """Asks every process to stop at once, then waits for each: one grace period in all, not
    one per process."""
    for process in processes:
        if process.alive():
            assert process.popen is not None
            _signal_group(process.popen.pid, process.stop_signal)
    deadline = time.monotonic() + timeout
    for process in processes:
        process.stop(max(0.1, deadline - time.monotonic()), asked=True)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pid, sig)
