"""A deposited KR Core bundle read as a structured record (schema version 1), so that the
documents made from structured records (진료확인서, 처방전, 상병 on request) and their facts
are made from KR Core content the same way.

What is read: each Encounter's period start as a visit (its serviceType as the department);
each encounter-diagnosis Condition's KCD-8 code, name and recordedDate (the first one is the
주상병); for 의과 and 치과 each MedicationRequest with a dose, as a prescription (1일 투여횟수
from its timing, 투약일수 from dispenseRequest.expectedSupplyDuration); each Procedure and
Observation. An element the structured schema cannot hold (a code outside KCD's pattern, a dose
without quantity) leaves that one entry out, never the record. The bundle was checked against
KR Core on deposit (`medrec_krcore`); this reads it defensively all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from medrec_krcore import KCD8_SYSTEM, is_chief_complaint
from medrec_shared.rules.clinical.entries import (
    Diagnosis,
    Encounter,
    Prescription,
    Procedure,
    TestResult,
)
from medrec_shared.rules.clinical.records import (
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    StructuredRecordModel,
)

Resource = dict[str, Any]
_KINDS: dict[str, type[MedicalRecord | DentalRecord | KoreanMedicineRecord]] = {
    "medical": MedicalRecord,
    "dental": DentalRecord,
    "korean_medicine": KoreanMedicineRecord,
}


def parse_krcore_record(data: bytes, specialty: str) -> StructuredRecordModel:
    """The bundle in `data` as a structured record of `specialty`; `ValueError` when it is not
    a JSON Bundle at all."""
    try:
        bundle = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("FHIR bundle is not valid JSON") from exc
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValueError("not a FHIR Bundle")
    return structured_from_krcore(bundle, specialty)


def structured_from_krcore(bundle: Resource, specialty: str) -> StructuredRecordModel:
    resources = list(_resources(bundle))
    of = {kind: [r for r in resources if r.get("resourceType") == kind] for kind in _READERS}
    kind = specialty if specialty in _KINDS else "medical"
    fields: dict[str, Any] = {"schema_version": "1", "specialty": kind}
    fields["encounters"] = _entries(Encounter, of["Encounter"], _encounter)
    diagnoses = [c for c in of["Condition"] if not is_chief_complaint(c)]
    fields["diagnoses"] = _entries(Diagnosis, diagnoses, _diagnosis)
    if fields["diagnoses"]:
        fields["diagnoses"][0] = fields["diagnoses"][0].model_copy(update={"primary": True})
    if kind in ("medical", "dental"):
        fields["prescriptions"] = _entries(Prescription, of["MedicationRequest"], _prescription)
        fields["procedures"] = _entries(Procedure, of["Procedure"], _procedure)
        fields["tests"] = _entries(TestResult, of["Observation"], _test)
    return _KINDS[kind].model_validate(fields)


def _resources(bundle: Resource) -> Iterator[Resource]:
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            yield resource


def _entries(
    model: type[BaseModel], resources: list[Resource], read: Callable[[Resource], dict[str, Any]]
) -> list[Any]:
    out = []
    for resource in resources:
        try:
            out.append(model.model_validate(read(resource)))
        except (ValidationError, ValueError, TypeError, KeyError):
            continue  # this entry does not fit the structured schema; the others still count
    return out


def _get(node: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and len(node) > key else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
    return node


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and len(value) >= 10 else None


def _name(concept: Any) -> str | None:
    """A CodeableConcept's text, else its first coding's display."""
    text = _get(concept, "text")
    return text if isinstance(text, str) and text else _get(concept, "coding", 0, "display")


def kcd8_coding(concept: Any) -> dict[str, Any] | None:
    for coding in _get(concept, "coding") or []:
        if isinstance(coding, dict) and coding.get("system") == KCD8_SYSTEM:
            return coding
    return None


def kcd_code(code: Any) -> str | None:
    """A KCD code as the structured schema writes it: `J069` → `J06.9`."""
    if not isinstance(code, str):
        return None
    code = code.strip().upper()
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def _encounter(res: Resource) -> dict[str, Any]:
    department = _name(_get(res, "serviceType"))
    return {"date": _day(_get(res, "period", "start")), "department": department}


def _diagnosis(res: Resource) -> dict[str, Any]:
    coding = kcd8_coding(res.get("code")) or {}
    name = coding.get("display") or _name(res.get("code"))
    return {
        "code": kcd_code(coding.get("code")),
        "name": name,
        "date": _day(res.get("recordedDate")),
    }


def _prescription(res: Resource) -> dict[str, Any]:
    concept = res.get("medicationCodeableConcept")
    dosage = _get(res, "dosageInstruction", 0)
    dose = _get(dosage, "doseAndRate", 0, "doseQuantity")
    repeat = _get(dosage, "timing", "repeat") or {}
    per_day = repeat.get("frequency") if repeat.get("periodUnit", "d") == "d" else None
    return {
        "drug_name": _name(concept) or _get(res, "medicationReference", "display"),
        "drug_code": _get(concept, "coding", 0, "code"),
        "dose": str(_get(dose, "value")),
        "unit": _get(dose, "unit") or _get(dose, "code"),
        "frequency_per_day": per_day or 1,
        "days": _get(res, "dispenseRequest", "expectedSupplyDuration", "value") or 1,
        "date": _day(res.get("authoredOn")),
    }


def _procedure(res: Resource) -> dict[str, Any]:
    when = res.get("performedDateTime") or _get(res, "performedPeriod", "start")
    return {
        "name": _name(res.get("code")),
        "code": _get(res, "code", "coding", 0, "code"),
        "date": _day(when),
    }


def _test(res: Resource) -> dict[str, Any]:
    when = (
        res.get("effectiveDateTime") or _get(res, "effectivePeriod", "start") or res.get("issued")
    )
    quantity = res.get("valueQuantity")
    value = _get(quantity, "value") if quantity else res.get("valueString")
    return {
        "name": _name(res.get("code")),
        "date": _day(when),
        "result": None if value is None else str(value),
        "unit": _get(quantity, "unit"),
    }


_READERS = ("Encounter", "Condition", "MedicationRequest", "Procedure", "Observation")
