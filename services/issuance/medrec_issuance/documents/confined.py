"""A copy rendered and signed in a child process with a memory cap (RLIMIT_AS), so that a hostile
or oversized record can only fail its own copy: the worker's memory stays what it was, and the
event is answered (a failed issuance with its reason), not redelivered to kill the worker again.

pypdf, fpdf and Pillow cannot promise a memory bound for what they parse and draw; the child
holds the records it renders (each within `CopyLimits`, checked as the bytes arrive) and the
finished copy, and its cap and a deadline bound the rest. The worker holds neither: it streams
each record's content into the child and the signed copy out of it, a chunk at a time.

The child gets no environment (no credentials); the signing key is in the job it reads. Nor can
it read the worker's: the worker that starts children is non-dumpable, and each child gives up
every capability before it reads its job (`isolation`).

A child is started before its copy is asked for: `Renderers` keeps one spare, started with the
same empty environment and under the same caps, that has imported pyhanko, fpdf and Pillow and
parsed the fonts (about 2 s of CPU) and waits for its job. A copy takes the spare and a new spare
is started as soon as the copy is done (not during it: on two cores its imports would slow the
render they race); a spare that died (killed, or the worker's fault) is noticed when its copy
would begin, and the copy starts a child of its own, as every copy did before. A child serves
one copy only: nothing of one citizen's copy can be left in a process for the next. It dies with
the worker (PR_SET_PDEATHSIG), and at the latest when its input closes.

The job says which document to make (`CopyJob.spec`): the certified copy, or one of the documents
made of the records' entries (`statements.render_document`), signed the same way; a document the
records hold nothing for is refused with the reason the citizen reads (`NothingToShow`).

Pipe protocol: frames of a 4-byte big-endian length and that many bytes. In: the job (JSON),
then for each rendered record, in order, its content as frames ended by an empty one. Out: an
empty frame once the child is ready (imports done, fonts parsed), an empty frame once it has
read the job (the job is taken: a child that dies before this is replaced, not blamed), a
header (JSON: ``{"outcome": "produced", "pages", "size"}``, ``{"outcome": "refused", "reason"}``
or ``{"outcome": "failed", "error"}``), and for a produced copy its ``size`` bytes.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import resource
import signal
import struct
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any, BinaryIO, Final

from PIL import Image

from medrec_shared.rules.documents import document_label

from .fonts import prepare_fonts
from .isolation import drop_privileges, hide_from_same_uid
from .limits import (
    NOT_PRODUCED,
    OUT_OF_MEMORY,
    TOO_SLOW,
    CopyLimits,
    OverLimit,
    content_too_large,
    copy_too_large,
    record_too_large,
)
from .models import CoverPage, DocumentSpec, RecordDocument, RenderedCopy
from .render import is_rendered, render_copy
from .signing import IssuerSigner, sign_pdf, verify_pdf
from .statements import NothingToShow, render_document

_LENGTH: Final = struct.Struct(">I")
_MAX_FRAME: Final = 16 * 1024 * 1024
_READ: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CopyJob:
    """Everything the child needs but the records' content (``content`` is None in ``records``).
    ``spec``: the document to make of the records; None (or ``record_copy``) is the certified
    copy."""

    cover: CoverPage
    records: list[RecordDocument]
    limits: CopyLimits
    key_pem: bytes
    cert_pem: bytes
    spec: DocumentSpec | None = None

    def encode(self) -> bytes:
        return json.dumps(
            {
                "cover": asdict(self.cover) | {"issued_at": self.cover.issued_at.isoformat()},
                "records": [_record_json(r) for r in self.records],
                "limits": asdict(self.limits),
                "key_pem": self.key_pem.decode(),
                "cert_pem": self.cert_pem.decode(),
                "spec": None if self.spec is None else _spec_json(self.spec),
            }
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> CopyJob:
        job = json.loads(raw)
        cover = job["cover"] | {"issued_at": datetime.fromisoformat(job["cover"]["issued_at"])}
        records = [
            RecordDocument(
                **r
                | {
                    "service_start": date.fromisoformat(r["service_start"]),
                    "service_end": date.fromisoformat(r["service_end"]),
                }
            )
            for r in job["records"]
        ]
        spec = job.get("spec")
        return cls(
            CoverPage(**cover),
            records,
            CopyLimits(**job["limits"]),
            job["key_pem"].encode(),
            job["cert_pem"].encode(),
            None if spec is None else _spec(spec),
        )


def _spec_json(spec: DocumentSpec) -> dict[str, Any]:
    return asdict(spec) | {
        "period_from": spec.period_from and spec.period_from.isoformat(),
        "period_to": spec.period_to and spec.period_to.isoformat(),
    }


def _spec(fields: dict[str, Any]) -> DocumentSpec:
    def when(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    return DocumentSpec(
        **fields
        | {"period_from": when(fields["period_from"]), "period_to": when(fields["period_to"])}
    )


def _record_json(record: RecordDocument) -> dict[str, Any]:
    fields = asdict(record)
    del fields["content"]
    return fields | {
        "service_start": record.service_start.isoformat(),
        "service_end": record.service_end.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class Produced:
    pages: int
    size: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The copy cannot be produced; retrying the same records cannot help."""

    reason: str


# -- the worker's side ------------------------------------------------------------------------
class ConfinedCopy:
    """One child process producing one copy: `start`, `send` each rendered record's content in
    order, `outcome`, then (when produced) `pdf`; `close` in any case."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.listening = True  # false once the child has stopped reading (it refused early)
        self.size = 0
        self._ready = asyncio.ensure_future(self._read_ready())
        self._after: Callable[[], Awaitable[None]] | None = None  # run once closed

    @classmethod
    async def spawn(cls, memory_bytes: int) -> ConfinedCopy:
        """A child that starts getting ready (imports, fonts) and then waits for its job."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            str(memory_bytes),
            str(os.getpid()),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=_child_environment(),
        )
        return cls(process)

    @classmethod
    async def start(cls, job: CopyJob, memory_bytes: int) -> ConfinedCopy:
        """A child of its own for ``job``, started now (no spare)."""
        child = await cls.spawn(memory_bytes)
        await child.take(job)
        return child

    async def _read_ready(self) -> bool:
        assert self.process.stdout is not None
        try:
            return await _read_frame(self.process.stdout) == b""
        except asyncio.IncompleteReadError:
            return False

    async def ready(self) -> bool:
        """Waits until the child is ready for its job; false if it died first."""
        return await asyncio.shield(self._ready)

    async def take(self, job: CopyJob) -> bool:
        """Hands ``job`` over; true once the child has read it, false if it died before (then
        its `outcome` is a refusal, as for any child that dies)."""
        assert self.process.stdout is not None
        await self._write(job.encode())
        if not await self.ready():
            return False
        try:
            return await _read_frame(self.process.stdout) == b""
        except asyncio.IncompleteReadError:
            return False

    async def _write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        if not self.listening:
            return
        try:
            self.process.stdin.write(_LENGTH.pack(len(data)) + data)
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            self.listening = False

    async def send(self, content: AsyncGenerator[bytes, None]) -> None:
        """One record's content, streamed; stops reading it when the child stops listening."""
        async with aclosing(content) as chunks:
            async for chunk in chunks:
                for start in range(0, len(chunk), _MAX_FRAME):
                    await self._write(chunk[start : start + _MAX_FRAME])
                if not self.listening:
                    return
        await self._write(b"")

    async def outcome(self, within: float) -> Produced | Refused:
        """The child's answer, within ``within`` seconds of the last record sent."""
        assert self.process.stdin is not None and self.process.stdout is not None
        if self.listening:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(within):
                header = json.loads(await _read_frame(self.process.stdout))
        except TimeoutError:
            return Refused(TOO_SLOW)
        except (asyncio.IncompleteReadError, ValueError):  # it died without answering
            try:
                async with asyncio.timeout(30):  # never wait without end for its exit status
                    code = await self.process.wait()
            except TimeoutError:
                return Refused(NOT_PRODUCED)
            if code == -signal.SIGTERM:  # stopped with the worker: the event will come again
                raise RuntimeError("the render process was stopped") from None
            # Killed by a signal: what a failed allocation in a C library ends in.
            return Refused(OUT_OF_MEMORY if code < 0 else NOT_PRODUCED)
        if header["outcome"] == "produced":
            self.size = int(header["size"])
            return Produced(pages=int(header["pages"]), size=self.size)
        return Refused(header.get("reason") or NOT_PRODUCED)

    async def pdf(self) -> AsyncIterator[bytes]:
        """The signed copy, ``size`` bytes, in pieces."""
        assert self.process.stdout is not None
        left = self.size
        while left > 0:
            piece = await self.process.stdout.readexactly(min(left, _READ))
            left -= len(piece)
            yield piece

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await asyncio.gather(self._ready, return_exceptions=True)
        after, self._after = self._after, None
        if after is not None:
            await after()


class Renderers:
    """The confined children of one worker: `start` gives each copy a child of its own, the
    spare when there is a live one, and starts the next spare; `aclose` ends the spare.

    The process that has renderers hides its environment and memory from its children (and
    every other process of its uid) before any child starts."""

    def __init__(self, memory_bytes: int) -> None:
        hide_from_same_uid()
        self.memory_bytes = memory_bytes
        self.spare: ConfinedCopy | None = None
        self._starting = asyncio.Lock()  # one spare at a time, however many copies run
        self._closed = False

    async def prepare(self) -> None:
        """Starts a spare if there is no live one (each copy does it when it is closed)."""
        async with self._starting:
            if self._closed:
                return
            if self.spare is not None and self.spare.process.returncode is None:
                return
            dead, self.spare = self.spare, None
            if dead is not None:
                await dead.close()
            self.spare = await ConfinedCopy.spawn(self.memory_bytes)

    async def start(self, job: CopyJob) -> ConfinedCopy:
        """A child that has ``job``; the next spare starts when that child is closed, not
        while it renders (its imports would take the render's CPU)."""
        child, self.spare = self.spare, None
        if child is None or not await child.take(job):
            if child is not None:  # the spare died before it had the job: not this copy's fault
                await child.close()
            child = await ConfinedCopy.start(job, self.memory_bytes)
        child._after = self.prepare
        return child

    async def aclose(self) -> None:
        async with self._starting:
            self._closed = True
        spare, self.spare = self.spare, None
        if spare is not None:
            await spare.close()


def _child_environment() -> dict[str, str]:
    # Fewer malloc arenas: the address-space cap counts each arena's reservation.
    env = {"MALLOC_ARENA_MAX": "2", "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "")}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


async def _read_frame(stream: asyncio.StreamReader) -> bytes:
    (length,) = _LENGTH.unpack(await stream.readexactly(_LENGTH.size))
    return await stream.readexactly(length)


# -- the child's side -------------------------------------------------------------------------
def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the worker stopped sending")
    return data


def _frame(stream: BinaryIO) -> bytes:
    (length,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    if length > _MAX_FRAME:
        raise ValueError("frame too long")
    return _read_exactly(stream, length)


def _content(stream: BinaryIO, position: int, total: int, limits: CopyLimits) -> bytes:
    """One record's content, refused as soon as it goes over a limit (``total``: the bytes of
    the records before it)."""
    data = bytearray()
    while chunk := _frame(stream):
        data += chunk
        if len(data) > limits.record_bytes:
            raise OverLimit(record_too_large(position, limits.record_bytes))
        if total + len(data) > limits.content_bytes:
            raise OverLimit(content_too_large(limits.content_bytes))
    return bytes(data)


def produce(job: CopyJob, stream: BinaryIO) -> tuple[bytes, int]:
    """Reads the records' content from ``stream``, renders and signs the copy: ``(pdf, pages)``.
    The signature is checked before the copy leaves: a hash the public check finds is always of
    a copy whose signature held."""
    records: list[RecordDocument] = []
    total = 0
    for position, record in enumerate(job.records, start=1):
        if is_rendered(record.content_type):
            content = _content(stream, position, total, job.limits)
            total += len(content)
            record = replace(record, content=content)
        records.append(record)
    rendered = _render(job, records)
    del records
    signed = sign_pdf(
        rendered.pdf,
        IssuerSigner.from_pem(job.key_pem, job.cert_pem),
        signing_time=job.cover.issued_at,  # the service's clock, as the cover's issue time
        reason=f"{document_label(job.spec.document_type if job.spec else 'record_copy')} 발급",
    )
    if len(signed) > job.limits.copy_bytes:
        raise OverLimit(copy_too_large(job.limits.copy_bytes))
    check = verify_pdf(signed, job.cert_pem)
    if not (check.intact and check.valid):
        raise RuntimeError("the signed copy does not verify")
    return signed, rendered.pages


def _render(job: CopyJob, records: list[RecordDocument]) -> RenderedCopy:
    """The certified copy, or the document `job.spec` asks for, made of the same records."""
    if job.spec is None or job.spec.is_copy:
        return render_copy(job.cover, records, job.limits)
    return render_document(job.spec, job.cover, records, job.limits)


_PR_SET_PDEATHSIG: Final = 1


def _die_with(parent: int) -> None:
    """SIGKILL when the worker ends, however it ends (Linux; elsewhere the closed pipe does)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _get_ready() -> None:
    """What every copy needs, done before its job comes: the fonts parsed, Pillow's formats
    registered (the imports are done when this module is)."""
    prepare_fonts()
    Image.init()


def main() -> None:
    memory, parent = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with(parent)
    drop_privileges()  # before the job: nothing it brings may run with the worker's powers
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a library prints may land in the answer
    _get_ready()  # a failure here is a child that never got ready: the worker starts another
    stdout.write(_LENGTH.pack(0))  # ready
    stdout.flush()
    try:
        raw = _frame(stdin)
    except EOFError:  # a spare no copy needed (the worker closed it)
        return
    stdout.write(_LENGTH.pack(0))  # taken
    stdout.flush()
    pdf = b""
    try:
        pdf, pages = produce(CopyJob.decode(raw), stdin)
        header: dict[str, Any] = {"outcome": "produced", "pages": pages, "size": len(pdf)}
    except (OverLimit, NothingToShow) as exc:
        header = {"outcome": "refused", "reason": exc.reason}
    except MemoryError:
        header = {"outcome": "refused", "reason": OUT_OF_MEMORY}
    except Exception as exc:  # only the type: a parser's message may quote the content
        print(f"copy not produced: {type(exc).__name__}", file=sys.stderr)
        header = {"outcome": "failed", "error": type(exc).__name__}
    answer = json.dumps(header).encode()
    stdout.write(_LENGTH.pack(len(answer)) + answer)
    stdout.write(pdf)
    stdout.flush()


if __name__ == "__main__":
    main()
