"""The push's place, kept in EXPORT_DIR/.medrec-transfer-state.json.

Written atomically (a temporary file beside it, fsynced, renamed over it, the directory fsynced),
so a push killed at any instant, SIGKILL or power cut included, leaves the old state or the new,
never half of one. It is a hint, not the truth: the push asks the service what the transfer
holds before it trusts it, and sends again anything it is unsure of (a repeat is answered
"unchanged", so nothing is stored twice). It also keeps each file's SHA-256 by size and
modification time, so a resumed push does not hash a large file again."""

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1


@dataclass
class State:
    path: Path
    transfer_id: str | None = None
    institution_code: str | None = None
    stored: set[str] = field(default_factory=set)  # external_ids the service answered stored
    digests: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # file: size, mtime
    completed: bool = False
    receipt_number: str | None = None  # the 이관확인서 saved beside the export, once it is

    @classmethod
    def load(cls, path: Path) -> "State":
        try:
            body = json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return cls(path)
        if not isinstance(body, dict) or body.get("version") != VERSION:
            return cls(path)
        return cls(
            path,
            transfer_id=body.get("transfer_id"),
            institution_code=body.get("institution_code"),
            stored=set(body.get("stored") or []),
            digests={k: (int(v[0]), int(v[1]), str(v[2])) for k, v in
                     (body.get("digests") or {}).items()},
            completed=bool(body.get("completed")),
            receipt_number=body.get("receipt_number"),
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "transfer_id": self.transfer_id,
            "institution_code": self.institution_code,
            "completed": self.completed,
            "receipt_number": self.receipt_number,
            "stored": sorted(self.stored),
            "digests": {k: list(v) for k, v in sorted(self.digests.items())},
        }

    def save(self) -> None:
        write_atomically(self.path, json.dumps(self.as_json(), ensure_ascii=False).encode())

    def digest_of(self, key: str, path: Path) -> str | None:
        kept = self.digests.get(key)
        stat = path.stat()
        if kept and kept[0] == stat.st_size and kept[1] == stat.st_mtime_ns:
            return kept[2]
        return None

    def keep_digest(self, key: str, path: Path, sha256: str) -> None:
        stat = path.stat()
        self.digests[key] = (stat.st_size, stat.st_mtime_ns, sha256)


def write_atomically(path: Path, data: bytes) -> None:
    """`data` as `path`'s whole content, or the old content if killed part way: a temporary
    file beside it, fsynced, renamed over it, the directory fsynced."""
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=".medrec-transfer-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
