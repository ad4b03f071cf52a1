"""Crash points for fault tests: `MEDREC_FAILPOINTS=relay.after_publish` makes the process die
there, as a power cut would. A point named with a duration, `issuance.copy.rendering@20`, stalls
there that many seconds instead (a slow render, a slow network), so a test can look at the
system while the step is under way. Unset in every real deployment, where `hit` and `stall`
cost one lookup each."""

import asyncio
import os

_NAMED = [name for name in os.environ.get("MEDREC_FAILPOINTS", "").split(",") if name]
_ACTIVE = frozenset(name for name in _NAMED if "@" not in name)
_STALLS = {
    name: float(seconds) for name, _, seconds in (n.partition("@") for n in _NAMED if "@" in n)
}
CRASH_EXIT_CODE = 86


def hit(name: str) -> None:
    if name in _ACTIVE:
        os._exit(CRASH_EXIT_CODE)


async def stall(name: str) -> None:
    if seconds := _STALLS.get(name):
        await asyncio.sleep(seconds)
