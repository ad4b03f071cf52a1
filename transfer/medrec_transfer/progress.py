"""Progress of a push: a rich progress display on a terminal (records and bytes, rate, time
left), plain timestamped lines otherwise (a log file, CI). Both write to stderr; they never show
anything from a record but its external_id."""

import sys
import time
from typing import Protocol, TextIO

from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class Reporter(Protocol):
    def start(self, records: int, size: int, done_records: int, done_bytes: int) -> None: ...
    def advance(self, records: int = 0, size: int = 0) -> None: ...
    def say(self, message: str) -> None: ...
    def close(self) -> None: ...


def _mib(n: float) -> str:
    return f"{n / 1048576:.1f} MiB"


class PlainReporter:
    def __init__(self, stream: TextIO | None = None, every: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.records = self.size = self.done_records = self.done_bytes = 0
        self._started = self._last = time.monotonic()
        self._first_bytes = 0
        self._started_once = False

    def say(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        print(f"{stamp} {message}", file=self.stream, flush=True)

    def start(self, records: int, size: int, done_records: int, done_bytes: int) -> None:
        self.records, self.size = records, size
        self.done_records, self.done_bytes = done_records, done_bytes
        self._started = self._last = time.monotonic()
        self._first_bytes = done_bytes
        self._started_once = True
        self._line()

    def advance(self, records: int = 0, size: int = 0) -> None:
        self.done_records += records
        self.done_bytes += size
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = (self.done_bytes - self._first_bytes) / elapsed
        left = (self.size - self.done_bytes) / rate if rate > 0 else None
        eta = f", about {left:.0f} s left" if left is not None else ""
        self.say(
            f"stored {self.done_records}/{self.records} records, "
            f"{_mib(self.done_bytes)}/{_mib(self.size)}, {_mib(rate)}/s{eta}"
        )

    def close(self) -> None:
        if self._started_once:
            self._line()


class _Amount(ProgressColumn):
    """`120/300` for records, `12.0/40.0 MiB` for bytes."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            done, total = int(task.completed), int(task.total or 0)
            return Text(f"{filesize.decimal(done)}/{filesize.decimal(total)}")
        return Text(f"{int(task.completed)}/{int(task.total or 0)}")


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("-")
        if task.fields.get("unit") == "bytes":
            return Text(f"{filesize.decimal(int(speed))}/s")
        return Text(f"{speed:.0f} rec/s")


class RichReporter:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<8}"),
            BarColumn(),
            _Amount(),
            _Rate(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._records: TaskID | None = None
        self._bytes: TaskID | None = None

    def say(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def start(self, records: int, size: int, done_records: int, done_bytes: int) -> None:
        self._records = self.progress.add_task(
            "records", total=records, completed=done_records, unit="records"
        )
        self._bytes = self.progress.add_task(
            "bytes", total=size, completed=done_bytes, unit="bytes"
        )
        self.progress.start()

    def advance(self, records: int = 0, size: int = 0) -> None:
        if self._records is not None and records:
            self.progress.advance(self._records, records)
        if self._bytes is not None and size:
            self.progress.advance(self._bytes, size)

    def close(self) -> None:
        self.progress.stop()


def reporter_for(stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stderr
    if stream.isatty():
        return RichReporter()
    return PlainReporter(stream)
