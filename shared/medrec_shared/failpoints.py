"""Crash points for fault tests: `MEDREC_FAILPOINTS=relay.after_publish` makes the process die
there, as a power cut would. Unset in every real deployment, where `hit` costs one set lookup."""

import os

_ACTIVE = frozenset(filter(None, os.environ.get("MEDREC_FAILPOINTS", "").split(",")))
CRASH_EXIT_CODE = 86


def hit(name: str) -> None:
    if name in _ACTIVE:
        os._exit(CRASH_EXIT_CODE)
