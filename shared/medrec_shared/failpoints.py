"""Crash points for fault tests: `MEDREC_FAILPOINTS=relay.after_publish` makes the process die
there, as a power cut would. `name=subject` narrows a point to one subject (a transfer, say), so
a test in a shared stack is not crashed by another test's leftovers passing the same point.
Unset in every real deployment, where `hit` costs one set lookup."""

import os

_ACTIVE = frozenset(filter(None, os.environ.get("MEDREC_FAILPOINTS", "").split(",")))
CRASH_EXIT_CODE = 86


def hit(name: str, subject: object = None) -> None:
    if name in _ACTIVE or (subject is not None and f"{name}={subject}" in _ACTIVE):
        os._exit(CRASH_EXIT_CODE)
