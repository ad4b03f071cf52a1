"""The local stack's data directory: one folder that keeps the engines' data, the stack's secrets
and its logs across restarts, marked with the layout version that wrote it and locked while a
stack runs on it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

# Bump when a change to the layout or the engines makes an older directory unusable.
LAYOUT_FORMAT = 1
MARKER = "medrec-stack.json"


class LauncherError(RuntimeError):
    """Something the person starting the stack must fix: said in one line, with what to do."""


def reset_hint(path: Path) -> str:
    """How to delete `path` on purpose, as the person who started the stack would type it."""
    return (
        "`make reset`"
        if path == default_state().absolute()
        else f"`medrec-stack reset --state {path}`"
    )


def default_state() -> Path:
    """MEDREC_STACK_STATE, or `.medrec/` in the directory `make run` runs from (the checkout)."""
    configured = os.environ.get("MEDREC_STACK_STATE", "")
    return Path(configured) if configured else Path.cwd() / ".medrec"


class DataDir:
    """Opened before anything is started; `check` only reads, so a refused directory is left as
    it was."""

    # Locks this process holds, by directory: the cluster and its engines share one.
    _held: dict[Path, IO[str]] = {}  # noqa: RUF012 - one registry per process, on purpose

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    @property
    def is_new(self) -> bool:
        return not self.marker.exists()

    def check(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise LauncherError(f"{self.path} is a file, not a data directory; choose another")
        if self.marker.exists():
            try:
                found = json.loads(self.marker.read_text()).get("format")
            except (OSError, ValueError, AttributeError) as error:
                raise LauncherError(
                    f"{self.marker} is unreadable ({error}); restore it from a backup, "
                    f"or {reset_hint(self.path)} to start empty"
                ) from None
            if found != LAYOUT_FORMAT:
                raise LauncherError(
                    f"{self.path} holds data of layout format {found}, this medrec reads format "
                    f"{LAYOUT_FORMAT}: use the medrec version that wrote it, or "
                    f"{reset_hint(self.path)} to delete it and start empty"
                )
        elif self.path.exists() and any(self.path.iterdir()):
            raise LauncherError(
                f"{self.path} is not empty and is no medrec data directory (no {MARKER}); "
                f"choose an empty or new directory with --state or MEDREC_STACK_STATE"
            )

    def open(self) -> DataDir:
        """Checks, takes the lock, and marks a new directory."""
        if self.path not in self._held:
            self.check()
            self.lock()
        if self.is_new:
            write_private(self.marker, {"format": LAYOUT_FORMAT})
        return self

    def lock(self) -> None:
        """Held until `close` or until this process ends, however it ends."""
        if self.path in self._held:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        lock = (self.path / ".lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise LauncherError(
                f"a stack is already running on {self.path} (pid {holder}); stop it first, "
                f"or give another directory with --state"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._held[self.path] = lock

    def close(self) -> None:
        lock = self._held.pop(self.path, None)
        if lock is not None:
            lock.close()

    def reset(self) -> None:
        """Deletes the directory; refused while a stack runs on it."""
        self.lock()
        try:
            shutil.rmtree(self.path)
        finally:
            self.close()


def size_of(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total


def read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def write_private(path: Path, data: Any) -> None:
    """Writes JSON readable by this user only (mode 0600), whole or not at all (by rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
