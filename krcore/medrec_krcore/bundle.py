"""`check_bundle`: a record's FHIR R4 Bundle against KR Core 2.0. Every entry's resource is
checked by its family's module, every reference must resolve inside the bundle, and the one
Patient must be the record's patient. An empty list is a valid bundle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from medrec_krcore.condition import check_condition
from medrec_krcore.encounter import check_encounter
from medrec_krcore.medication import check_medication_request
from medrec_krcore.observation import check_diagnostic_report, check_observation
from medrec_krcore.organization import check_organization, check_practitioner
from medrec_krcore.patient import check_patient, match_claim
from medrec_krcore.problems import Found, PatientClaim, Problem
from medrec_krcore.procedure import check_procedure
from medrec_krcore.references import Targets, check_references

BUNDLE_TYPES = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)
Check = Callable[[Found, dict[str, Any], str], None]
#: The resource families KR Core profiles; other resources (Medication, Specimen, …) are taken
#: as R4 resources, their references still checked.
CHECKS: dict[str, Check] = {
    "Patient": check_patient,
    "Encounter": check_encounter,
    "Condition": check_condition,
    "MedicationRequest": check_medication_request,
    "Procedure": check_procedure,
    "Observation": check_observation,
    "DiagnosticReport": check_diagnostic_report,
    "Organization": check_organization,
    "Practitioner": check_practitioner,
}


def check_bundle(bundle: Any, *, patient: PatientClaim | None = None) -> list[Problem]:
    found = Found()
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        found.add("Bundle", "must be a FHIR R4 Bundle (resourceType Bundle)")
        return found.problems
    if bundle.get("type") not in BUNDLE_TYPES:
        found.add("Bundle.type", "must be one of: " + ", ".join(sorted(BUNDLE_TYPES)))
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        found.add("Bundle.entry", "must hold the record's resources, its Patient first among them")
        return found.problems
    resources = _resources(found, entries)
    targets = Targets()
    for index, resource in resources:
        targets.add(entries[index].get("fullUrl"), resource)
    patients = []
    for index, resource in resources:
        path = f"Bundle.entry[{index}].resource"
        kind = resource["resourceType"]
        if kind in CHECKS:
            CHECKS[kind](found, resource, path)
        check_references(found, targets, resource, path)
        if kind == "Patient":
            patients.append((path, resource))
    if not patients:
        found.add("Bundle.entry", "must hold the record's Patient (KR Core Patient)")
    for path, _ in patients[1:]:
        found.add(path, "a record's bundle holds one Patient")
    if patients and patient is not None:
        match_claim(found, patients[0][1], patients[0][0], patient)
    return found.problems


def _resources(found: Found, entries: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            found.add(f"Bundle.entry[{index}].resource", "must be a FHIR resource")
        elif not isinstance(resource.get("resourceType"), str) or not resource["resourceType"]:
            found.add(f"Bundle.entry[{index}].resource.resourceType", "is required")
        else:
            out.append((index, resource))
    return out
