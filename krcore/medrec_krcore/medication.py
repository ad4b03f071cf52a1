"""KR Core MedicationRequest (krcore-medicationrequest): status and intent (R4 1..1), the
medication (a coded concept with system, code and display, or a reference), subject (R4 1..1),
and dosageInstruction 1..* each with doseAndRate 1..* and its dose[x] 1..1."""

from __future__ import annotations

from typing import Any

from medrec_krcore.problems import Found, objects, present

PROFILE = "KR Core MedicationRequest (krcore-medicationrequest)"


def check_medication_request(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "status", PROFILE)
    found.require(resource, path, "intent", PROFILE)
    found.require(resource, path, "subject", PROFILE)
    concept = resource.get("medicationCodeableConcept")
    if present(concept):
        for coding_path, coding in found.codings(
            concept, f"{path}.medicationCodeableConcept", PROFILE
        ):
            found.require(coding, coding_path, "display", PROFILE)
    elif not present(resource.get("medicationReference")):
        found.add(f"{path}.medication[x]", f"is required by {PROFILE}")
    if found.require(resource, path, "dosageInstruction", PROFILE) is None:
        return
    for dosage_path, dosage in objects(resource["dosageInstruction"], f"{path}.dosageInstruction"):
        if found.require(dosage, dosage_path, "doseAndRate", PROFILE) is None:
            continue
        for rate_path, rate in objects(dosage["doseAndRate"], f"{dosage_path}.doseAndRate"):
            found.require_one_of(rate, rate_path, "dose", ("Quantity", "Range"), PROFILE)
