"""KR Core Procedure (krcore-procedure): status and subject (R4 1..1), a code with system and
code (1..1), performed[x] (1..1); a category, when given, coded with system and code."""

from __future__ import annotations

from typing import Any

from medrec_krcore.problems import Found

PROFILE = "KR Core Procedure (krcore-procedure)"
PERFORMED = ("DateTime", "Period", "String", "Age", "Range")


def check_procedure(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "status", PROFILE)
    found.require(resource, path, "subject", PROFILE)
    code = found.require(resource, path, "code", PROFILE)
    if code is not None:
        found.codings(code, f"{path}.code", PROFILE)
    if resource.get("category") is not None:
        found.codings(resource["category"], f"{path}.category", PROFILE)
    found.require_one_of(resource, path, "performed", PERFORMED, PROFILE)
