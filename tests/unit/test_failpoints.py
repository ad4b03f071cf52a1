"""Failpoints as fault tests name them (`MEDREC_FAILPOINTS`): a bare name is a crash there (a real
process exit with CRASH_EXIT_CODE), `name@seconds` a stall there of that long; any other point
is passed through. Read once at import, so each case runs in a process of its own."""

import os
import subprocess
import sys

from medrec_shared.failpoints import CRASH_EXIT_CODE

PROBE = """
import asyncio, time
from medrec_shared import failpoints
started = time.monotonic()
asyncio.run(failpoints.stall("slow.step"))
asyncio.run(failpoints.stall("other.step"))
failpoints.hit("slow.step")  # a stall point is no crash point
print(round(time.monotonic() - started, 1), flush=True)
failpoints.hit("crash.step")
print("passed the crash point")
"""


def run(failpoints: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"MEDREC_FAILPOINTS": failpoints}
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_named_point_crashes_and_a_timed_one_stalls() -> None:
    done = run("slow.step@0.5,crash.step")
    assert done.returncode == CRASH_EXIT_CODE, done.stderr
    stalled = float(done.stdout.split()[0])
    assert 0.5 <= stalled < 5


def test_unset_points_pass_at_once() -> None:
    done = run("")
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split()[0]) < 0.5
    assert "passed the crash point" in done.stdout
