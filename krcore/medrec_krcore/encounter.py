"""KR Core Encounter (krcore-encounter): status (R4 1..1, one of its codes), class with its
system and code (MS, system and code 1..1), the period with its start (MS; medrec reads the
visit's dates from it)."""

from __future__ import annotations

from typing import Any

from medrec_krcore.problems import Found

PROFILE = "KR Core Encounter (krcore-encounter)"
STATUSES = frozenset(
    {
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)


def check_encounter(found: Found, resource: dict[str, Any], path: str) -> None:
    status = found.require(resource, path, "status", PROFILE)
    if status is not None and status not in STATUSES:
        found.add(f"{path}.status", "must be an R4 Encounter status code")
    klass = found.require(resource, path, "class", PROFILE)
    if isinstance(klass, dict):
        found.require(klass, f"{path}.class", "system", PROFILE)
        found.require(klass, f"{path}.class", "code", PROFILE)
    elif klass is not None:
        found.add(f"{path}.class", "must be a Coding")
    period = found.require(resource, path, "period", PROFILE)
    if isinstance(period, dict):
        found.require(period, f"{path}.period", "start", PROFILE)
        start, end = period.get("start"), period.get("end")
        if isinstance(start, str) and isinstance(end, str) and end[:10] < start[:10]:
            found.add(f"{path}.period.end", "must not be before period.start")
    elif period is not None:
        found.add(f"{path}.period", "must be a Period")
