"""Crash points for fault tests: `MEDREC_FAILPOINTS=relay.after_publish` makes the process die
there, as a power cut would. `name=subject` narrows a point to one subject (a transfer, say), so
a test in a shared stack is not crashed by another test's leftovers passing the same point. A
point given a duration, `issuance.copy.rendering=<id>@20`, stalls there that many seconds
instead (a slow render), so a test can act while the step is under way. Unset in every real
deployment, where `hit` and `stall` cost one lookup each."""

import asyncio
import os

from medrec_shared.platform.logs import get_logger

log = get_logger(__name__)

_NAMED = [name for name in os.environ.get("MEDREC_FAILPOINTS", "").split(",") if name]
_ACTIVE = frozenset(name for name in _NAMED if "@" not in name)
_STALLS = {
    name: float(seconds) for name, _, seconds in (n.rpartition("@") for n in _NAMED if "@" in n)
}
CRASH_EXIT_CODE = 86


def hit(name: str, subject: object = None) -> None:
    if name in _ACTIVE or (subject is not None and f"{name}={subject}" in _ACTIVE):
        os._exit(CRASH_EXIT_CODE)


async def stall(name: str, subject: object = None) -> None:
    seconds = _STALLS.get(name) or (_STALLS.get(f"{name}={subject}") if subject else None)
    if seconds:
        log.warning("failpoint_stalled", failpoint=name, seconds=seconds)  # what tests wait for
        await asyncio.sleep(seconds)
