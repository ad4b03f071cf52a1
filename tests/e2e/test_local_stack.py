"""`make run`'s launcher: the whole cluster comes up ready, and Ctrl-C/SIGTERM leaves nothing."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.actors import eventually

pytestmark = pytest.mark.e2e


def test_the_stack_starts_ready_and_stops_leaving_no_process(tmp_path: Path) -> None:
    launcher = Path(sys.executable).parent / "medrec-stack"
    output = tmp_path / "stack.out"
    with output.open("w") as out:
        stack = subprocess.Popen(
            [str(launcher), "run", "--no-fixed-ports", "--state", str(tmp_path / "state")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        printed = eventually(
            lambda: "Ctrl-C stops everything" in output.read_text() and output.read_text(),
            timeout=180,
            what="the stack to come up",
        )
        descendants = psutil.Process(stack.pid).children(recursive=True)
        urls = dict(re.findall(r"^\s+(\w+)\s+(http://127\.0\.0\.1:\d+)\s", printed, re.M))
        assert set(urls) == {"identity", "ingest", "catalog", "issuance"}
        for url in urls.values():
            assert httpx.get(f"{url}/readyz").status_code == 200
            assert httpx.get(f"{url}/openapi.json").status_code == 200
        assert re.search(r"operator client: id=\S+ secret=\S{16,}", printed)
        assert "demo: 3 clinics, 9 records" in printed
        assert len(descendants) >= 11  # postgres, broker, S3, 4 apis, 4 workers

        stack.send_signal(signal.SIGTERM)
        assert stack.wait(60) == 0
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == [], [p.info for p in alive]
    finally:
        if stack.poll() is None:
            stack.kill()
