"""A job followed to its end: a progress bar on a terminal, plain timestamped lines otherwise (a
log, CI). Both on stderr, so `--json` keeps stdout to the job's final state. Counts only: a job
never reports anything of a record."""

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

Job = dict[str, Any]
RUNNING = "running"


class Display(Protocol):
    def show(self, job: Job) -> None: ...
    def close(self) -> None: ...


class PlainLines:
    """One line when the count moved and `every` seconds passed, and the last one always."""

    def __init__(self, stream: TextIO, every: float = 1.0) -> None:
        self.stream = stream
        self.every = every
        self._last_line = 0.0
        self._last_seen: tuple[str, int] | None = None

    def show(self, job: Job) -> None:
        seen = (str(job["status"]), int(job["done"]))
        now = time.monotonic()
        ended = job["status"] != RUNNING
        if seen == self._last_seen or (not ended and now - self._last_line < self.every):
            return
        self._last_seen, self._last_line = seen, now
        total = int(job["total"])
        share = f" ({100 * int(job['done']) // total}%)" if total else ""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        print(
            f"{stamp} {job['kind']} {job['job_id']}: {job['status']}, "
            f"{job['done']}/{total} rows{share}",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        pass


class Bar:
    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task: Any = None

    def show(self, job: Job) -> None:
        if self._task is None:
            self._task = self.progress.add_task(str(job["kind"]), total=int(job["total"]) or 1)
            self.progress.start()
        total = int(job["total"])
        done = int(job["done"]) if total else (1 if job["status"] != RUNNING else 0)
        self.progress.update(self._task, completed=done, total=total or 1)

    def close(self) -> None:
        self.progress.stop()


def display_for(stream: TextIO | None = None) -> Display:
    stream = stream or sys.stderr
    if stream.isatty():
        return Bar(Console(file=stream))
    return PlainLines(stream)


def follow(
    read: Callable[[], Job],
    display: Display,
    *,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Reads the job until it is no longer running, showing each state; its last state."""
    try:
        while True:
            job = read()
            display.show(job)
            if job["status"] != RUNNING:
                return job
            sleep(interval)
    finally:
        display.close()
