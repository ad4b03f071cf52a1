"""The confined render processes as the worker drives them (`Renderers`): real child processes,
the spare kept ready, killed, and confined."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from medrec_issuance.documents import CoverPage, RecordDocument, create_self_signed_issuer
from medrec_issuance.documents.confined import (
    ConfinedCopy,
    CopyJob,
    Produced,
    Refused,
    Renderers,
)
from medrec_issuance.documents.limits import CopyLimits
from medrec_issuance.documents.render import is_rendered
from medrec_issuance.documents.signing import verify_pdf
from medrec_issuance.settings import IssuanceSettings

MEMORY = IssuanceSettings.model_fields["render_memory_max_bytes"].default
WITHIN = 120.0
DEADLINE = 30.0  # seconds to wait for a process to be seen gone


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 220, 255)).save(out, format="PNG")
    return out.getvalue()


def _record(n: int, content_type: str, content: bytes) -> RecordDocument:
    return RecordDocument(
        record_id=f"rec-{n}",
        institution_name="행복소아과의원",
        institution_code="11111111",
        kind="medical_record",
        specialty="medical",
        title=f"기록 {n}",
        service_start=date(2024, 1, 1),
        service_end=date(2024, 1, 2),
        department=None,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


RECORDS = [
    _record(1, "text/plain", "경과 기록: 호전됨\n".encode() * 10),
    _record(2, "image/png", _png()),
    _record(3, "application/dicom", b"DICM" * 100),
]


@cache
def _issuer() -> tuple[bytes, bytes]:
    return create_self_signed_issuer()


def _job() -> CopyJob:
    key_pem, cert_pem = _issuer()
    cover = CoverPage(
        issuance_number="MR-TEST-0001",
        verification_code="K7QX93MD",
        verify_url="https://medrec.example.kr/verify?number=MR-TEST-0001&code=K7QX93MD",
        issued_at=datetime(2026, 3, 2, 5, 30, tzinfo=UTC),
        subject_name_masked="김*수",
        institutions=["행복소아과의원"],
    )
    listed = [replace(r, content=None) for r in RECORDS]
    return CopyJob(cover, listed, CopyLimits(), key_pem, cert_pem)


async def _chunks(content: bytes) -> AsyncGenerator[bytes, None]:
    yield content


async def _issue(child: ConfinedCopy) -> tuple[Produced | Refused, bytes]:
    try:
        for record in RECORDS:
            if is_rendered(record.content_type):
                assert record.content is not None
                await child.send(_chunks(record.content))
        outcome = await child.outcome(WITHIN)
        pdf = b"".join([p async for p in child.pdf()]) if isinstance(outcome, Produced) else b""
    finally:
        await child.close()
    return outcome, pdf


def _assert_signed_copy(outcome: Produced | Refused, pdf: bytes) -> None:
    assert isinstance(outcome, Produced), outcome
    assert len(pdf) == outcome.size
    assert len(PdfReader(io.BytesIO(pdf)).pages) == outcome.pages
    check = verify_pdf(pdf, _issuer()[1])
    assert check.intact and check.valid


def _gone(pid: int) -> bool:
    """Ended (a zombie waiting for its reaper counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while not _gone(pid):
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.05)


async def test_a_copy_takes_the_ready_spare_and_a_new_spare_is_started_once_it_is_done() -> None:
    renderers = Renderers(MEMORY)
    try:
        await renderers.prepare()
        spare = renderers.spare
        assert spare is not None and await spare.ready()
        child = await renderers.start(_job())
        assert child is spare
        assert renderers.spare is None  # not while the copy renders…
        _assert_signed_copy(*await _issue(child))
        assert renderers.spare is not None and renderers.spare is not spare  # …but once done
        assert await renderers.spare.ready()
    finally:
        await renderers.aclose()
    assert renderers.spare is None


async def test_a_copy_is_still_issued_when_its_spare_was_killed() -> None:
    renderers = Renderers(MEMORY)
    try:
        await renderers.prepare()
        killed = renderers.spare
        assert killed is not None and await killed.ready()
        os.kill(killed.process.pid, signal.SIGKILL)  # not waited for: the copy finds out itself
        child = await renderers.start(_job())
        assert child is not killed
        _assert_signed_copy(*await _issue(child))
        # Reaped, not left a zombie. Its status may read 255 rather than -SIGKILL: closing it
        # sends SIGKILL, and Popen.send_signal polls first, which can reap the dead child
        # before asyncio's child watcher thread does (the watcher then reports 255).
        assert killed.process.returncode is not None
        assert renderers.spare is not None and await renderers.spare.ready()
    finally:
        await renderers.aclose()


async def test_a_copy_is_still_issued_when_its_spare_was_killed_while_getting_ready() -> None:
    renderers = Renderers(MEMORY)
    try:
        await renderers.prepare()
        killed = renderers.spare
        assert killed is not None
        os.kill(killed.process.pid, signal.SIGKILL)
        _assert_signed_copy(*await _issue(await renderers.start(_job())))
    finally:
        await renderers.aclose()


async def test_the_spare_is_confined_like_every_render_process() -> None:
    renderers = Renderers(MEMORY)
    try:
        await renderers.prepare()
        spare = renderers.spare
        assert spare is not None and await spare.ready()
        pid = spare.process.pid
        limits = Path(f"/proc/{pid}/limits").read_text().splitlines()
        address_space = next(line for line in limits if line.startswith("Max address space"))
        assert address_space.split()[3:5] == [str(MEMORY), str(MEMORY)]
        core = next(line for line in limits if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"]
        names = {
            v.split(b"=", 1)[0] for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if v
        }
        assert names <= {b"MALLOC_ARENA_MAX", b"LANG", b"PATH", b"PYTHONPATH"}
        status = dict(
            line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == 0  # even under root
        assert status["NoNewPrivs"].strip() == "1"
        # …and a copy made by it, under those limits, is whole and signed.
        _assert_signed_copy(*await _issue(await renderers.start(_job())))
    finally:
        await renderers.aclose()


async def test_no_spare_is_started_once_the_renderers_are_closed() -> None:
    renderers = Renderers(MEMORY)
    child = await renderers.start(_job())
    await renderers.aclose()
    _assert_signed_copy(*await _issue(child))  # a copy under way when the worker stops
    assert renderers.spare is None


async def test_a_closed_spare_ends() -> None:
    renderers = Renderers(MEMORY)
    await renderers.prepare()
    assert renderers.spare is not None
    pid = renderers.spare.process.pid
    await renderers.aclose()
    assert _gone(pid)


_WORKER = """
import asyncio, sys
from medrec_issuance.documents.confined import Renderers

async def main():
    renderers = Renderers(int(sys.argv[1]))
    await renderers.prepare()
    print(renderers.spare.process.pid, flush=True)
    await renderers.spare.ready()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def test_the_spare_dies_with_a_killed_worker() -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(MEMORY)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        spare = int(worker.stdout.readline())
        assert worker.stdout.readline().strip() == "ready"
        assert not _gone(spare)
        worker.kill()  # SIGKILL: nothing of the worker's runs to close its spare
        worker.wait()
        _wait_gone(spare)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


async def test_the_old_way_a_child_of_its_own_still_makes_the_copy() -> None:
    _assert_signed_copy(*await _issue(await ConfinedCopy.start(_job(), MEMORY)))


async def test_two_copies_at_once_each_get_a_child_of_their_own() -> None:
    renderers = Renderers(MEMORY)
    try:
        first, second = await asyncio.gather(renderers.start(_job()), renderers.start(_job()))
        assert first is not second
        for child in (first, second):
            _assert_signed_copy(*await _issue(child))
        assert renderers.spare is not None and renderers.spare not in (first, second)
    finally:
        await renderers.aclose()


# What code running in a render child (a parser exploited by a hostile record) would try first:
# the worker's environment (content keys, the service secret, S3 keys) and its memory. The
# probe is imported by the child's interpreter at start (sitecustomize, from the PYTHONPATH the
# child inherits) and runs when the child ends, after everything the child does to itself.
_PROBE = """
import atexit, json, os, pathlib, sys

def _peek():
    if not sys.argv[0].endswith("confined.py"):  # the worker has this PYTHONPATH too
        return
    parent, outcome = os.getppid(), {}
    for name in ("environ", "mem"):
        try:
            with open(f"/proc/{parent}/{name}", "rb") as opened:
                outcome[name] = opened.read(65536).decode("latin-1") if name == "environ" else ""
        except PermissionError:
            outcome[name] = None
    pathlib.Path(__file__).with_name("peeked.json").write_text(json.dumps(outcome))

atexit.register(_peek)
"""

_WORKER_WITH_SECRETS = """
import asyncio, sys
from medrec_issuance.documents.confined import Renderers

async def main():
    renderers = Renderers(int(sys.argv[1]))
    await renderers.prepare()
    spare = renderers.spare
    assert await spare.ready()
    spare.process.stdin.close()  # a spare no copy needed: it ends, and its probe runs
    await spare.process.wait()
    await renderers.aclose()

asyncio.run(main())
"""


def test_a_render_child_cannot_read_the_workers_secrets(tmp_path: Path) -> None:
    secret = "kek-1:" + "S" * 40
    (tmp_path / "sitecustomize.py").write_text(_PROBE)
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    worker = subprocess.run(
        [sys.executable, "-c", _WORKER_WITH_SECRETS, str(MEMORY)],
        env={**os.environ, "PYTHONPATH": path, "MEDREC_ISSUANCE_CONTENT_KEYS": secret},
        timeout=120,
        check=True,
    )
    assert worker.returncode == 0
    peeked = json.loads((tmp_path / "peeked.json").read_text())
    read = [name for name, text in peeked.items() if text is not None]
    assert read == [], f"the render child read its worker's {read}"
