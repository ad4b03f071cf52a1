"""KR Core Observation and DiagnosticReport. Every Observation profile asks status (R4 1..1),
a code with system and code; the laboratory result (category `laboratory`) its `issued`, the
vital signs (category `vital-signs`) a LOINC coding, the function test (category `exam`) its
effective[x]. A DiagnosticReport (laboratory, imaging, pathology, function tests: each fixes a
category) asks status, a category, a code with system and code, and a subject."""

from __future__ import annotations

from typing import Any

from medrec_krcore.canonicals import LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM
from medrec_krcore.problems import Found, has_coding

OBSERVATION = "KR Core Observation (krcore-observation-laboratory-result, krcore-vitalsigns, …)"
LABORATORY = "KR Core Observation laboratory result (krcore-observation-laboratory-result)"
VITAL_SIGNS = "KR Core vital signs (krcore-vitalsigns)"
FUNCTION_TEST = "KR Core function test (krcore-observation-function-test)"
REPORT = "KR Core DiagnosticReport (krcore-diagnosticreport-…)"
EFFECTIVE = ("DateTime", "Period", "Timing", "Instant")


def check_observation(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "status", OBSERVATION)
    found.require(resource, path, "subject", OBSERVATION)
    code = found.require(resource, path, "code", OBSERVATION)
    codings = found.codings(code, f"{path}.code", OBSERVATION) if code is not None else []
    category = resource.get("category")
    if has_coding(category, OBSERVATION_CATEGORY_SYSTEM, "laboratory"):
        found.require(resource, path, "issued", LABORATORY)
    vital = has_coding(category, OBSERVATION_CATEGORY_SYSTEM, "vital-signs")
    if vital and codings and not any(c.get("system") == LOINC_SYSTEM for _, c in codings):
        found.add(f"{path}.code.coding", f"must hold a LOINC coding ({VITAL_SIGNS})")
    if has_coding(category, OBSERVATION_CATEGORY_SYSTEM, "exam"):
        found.require_one_of(resource, path, "effective", EFFECTIVE, FUNCTION_TEST)


def check_diagnostic_report(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "status", REPORT)
    found.require(resource, path, "subject", REPORT)
    category = found.require(resource, path, "category", REPORT)
    if category is not None:
        found.codings(category if isinstance(category, dict) else _first(category),
                      f"{path}.category[0]", REPORT)  # fmt: skip
    code = found.require(resource, path, "code", REPORT)
    if code is not None:
        found.codings(code, f"{path}.code", REPORT)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value
