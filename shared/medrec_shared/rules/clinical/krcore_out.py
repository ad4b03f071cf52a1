"""A person's records as KR Core 2.0 resources (`$everything`): pure functions, no I/O.

- A structured record (``records``, schema 1 and 2, 의과/치과/한방) becomes Encounters (its
  visits, or its admissions, or one visit over its service dates when it names none), Conditions
  (encounter diagnoses coded in KCD-8), MedicationRequests (drugs and 한약), Procedures (처치,
  the tooth chart's, 침·뜸·부항) and Observations (tests, tooth findings, 변증). Bills are not
  clinical content and are left out.
- A deposited FHIR bundle's resources are kept as they are, with their ids made medrec's (unique
  across records, the same on every call) and every reference rewritten to match; its Patient
  is the subject's.
- Ids are uuid5 of the record id and the resource's position (or its deposited id), so the same
  record converts to the same ids on every call.

KR Core canonicals are `medrec_krcore`'s (checked against hl7korea/krocre's FSH profiles,
2.0.0), and what this emits passes its `check_bundle` (the known-answer tests hold it to that).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import medrec_krcore as krcore
from medrec_krcore import (
    HIRA_KRNPI_SYSTEM,
    KCD8_SYSTEM,
    KRCORE_CANONICAL,
    OBSERVATION_CATEGORY_SYSTEM,
)
from medrec_shared.rules.clinical.entries import Diagnosis
from medrec_shared.rules.clinical.records import (
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    StructuredRecordModel,
)
from medrec_shared.rules.fhir_systems import RRN_SYSTEM

# KR Core 2.0's canonicals are medrec_krcore's (the checks'); the last three it does not name.
PROFILE_PATIENT: Final = krcore.PATIENT_PROFILE
PROFILE_ORGANIZATION: Final = krcore.HEALTHCARE_ORGANIZATION_PROFILE
PROFILE_ENCOUNTER: Final = krcore.ENCOUNTER_PROFILE
PROFILE_CONDITION: Final = krcore.CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE
PROFILE_MEDICATION_REQUEST: Final = krcore.MEDICATION_REQUEST_PROFILE
PROFILE_PROCEDURE: Final = krcore.PROCEDURE_PROFILE
PROFILE_OBSERVATION_LAB: Final = krcore.OBSERVATION_LABORATORY_PROFILE
ACT_CODE_SYSTEM: Final = krcore.ENCOUNTER_CLASS_SYSTEM
CONDITION_CATEGORY_SYSTEM: Final = krcore.HL7_CONDITION_CATEGORY_SYSTEM
HIRA_EDI_PROCEDURE_SYSTEM: Final = "http://www.hl7korea.or.kr/CodeSystem/hira-edi-procedure"
HIRA_EDI_MEDICATION_SYSTEM: Final = "http://www.hl7korea.or.kr/CodeSystem/hira-edi-medication"
EXT_MEDICATION_INGREDIENT: Final = (
    KRCORE_CANONICAL + "/StructureDefinition/krcore-medicationIngredient"
)

#: what a record names without a standard code (a test, a 한방 procedure, a 한약 formula): KR Core
#: asks a coding with a system and a code, so the name itself is the code in medrec's own system
ENTRY_NAME_SYSTEM: Final = "https://medrec.example/fhir/CodeSystem/entry-name"
#: medrec's person id as Patient.identifier: KR Core needs one, and the RRN goes out only if asked
PERSON_ID_SYSTEM: Final = "https://medrec.example/fhir/person-id"
TOOTH_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/ex-tooth"  # FDI two-digit numbers
UCUM: Final = "http://unitsofmeasure.org"
_KST: Final = "+09:00"
#: fixed namespace of the ids medrec gives institutions (uuid5 of the 요양기관기호)
ORGANIZATION_NAMESPACE: Final = uuid.UUID("5b0e8a52-6f43-4d0e-9a57-2f3c8e1d7a10")

Resource = dict[str, Any]


def resource_id(record_id: uuid.UUID, key: str) -> str:
    """The stable id of a record's resource `key` (e.g. ``Encounter/0``)."""
    return str(uuid.uuid5(record_id, key))


def organization_id(institution_code: str) -> str:
    return str(uuid.uuid5(ORGANIZATION_NAMESPACE, institution_code))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _named(name: str, *codings: dict[str, str]) -> Resource:
    """A CodeableConcept for what the record names: its standard codings if any, else the name
    as a code of `ENTRY_NAME_SYSTEM` (a code has no doubled white space)."""
    coding = list(codings) or [
        {"system": ENTRY_NAME_SYSTEM, "code": " ".join(name.split()), "display": name}
    ]
    return {"coding": coding, "text": name}


def _ref(resource: Resource) -> dict[str, str]:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def _meta(profile: str) -> dict[str, list[str]]:
    return {"profile": [profile]}


def patient_resource(
    person_id: uuid.UUID,
    *,
    name: str,
    gender: str | None,
    birth_date: dt.date,
    rrn: str | None = None,
) -> Resource:
    """The subject, by person id; the RRN identifier only when the caller passes it (asked)."""
    identifiers = [{"system": PERSON_ID_SYSTEM, "value": str(person_id)}]
    if rrn is not None:
        identifiers.append({"system": RRN_SYSTEM, "value": rrn})
    return {
        "resourceType": "Patient",
        "id": str(person_id),
        "meta": _meta(PROFILE_PATIENT),
        "identifier": identifiers,
        "name": [{"text": name}],
        "gender": gender if gender in ("male", "female") else "unknown",
        "birthDate": birth_date.isoformat(),
    }


def organization_resource(code: str, name: str | None) -> Resource:
    """An institution, by its 요양기관기호."""
    organization: Resource = {
        "resourceType": "Organization",
        "id": organization_id(code),
        "meta": _meta(PROFILE_ORGANIZATION),
        "identifier": [{"system": HIRA_KRNPI_SYSTEM, "value": code}],
        "active": True,
    }
    if name:
        organization["name"] = name
    return organization


@dataclass(frozen=True, kw_only=True)
class RecordContext:
    """What the record itself does not say: whose it is, where and when it was made."""

    record_id: uuid.UUID
    patient_id: str
    institution_code: str
    service_start: dt.date
    service_end: dt.date

    @property
    def patient(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    @property
    def organization(self) -> dict[str, str]:
        return {"reference": f"Organization/{organization_id(self.institution_code)}"}

    def id(self, resource_type: str, position: int | str) -> str:
        return resource_id(self.record_id, f"{resource_type}/{position}")


def _encounter(
    ctx: RecordContext,
    position: int,
    *,
    code: str,
    start: dt.date,
    end: dt.date | None,
    department: str | None = None,
    reason: str | None = None,
) -> Resource:
    encounter: Resource = {
        "resourceType": "Encounter",
        "id": ctx.id("Encounter", position),
        "meta": _meta(PROFILE_ENCOUNTER),
        "status": "finished",
        "class": {"system": ACT_CODE_SYSTEM, "code": code},
        "subject": ctx.patient,
        "period": {"start": start.isoformat()} | ({"end": end.isoformat()} if end else {}),
        "serviceProvider": ctx.organization,
    }
    if department:
        encounter["serviceType"] = {"text": department}
    if reason:
        encounter["reasonCode"] = [{"text": reason}]
    return encounter


def _encounters(record: StructuredRecordModel, ctx: RecordContext) -> list[Resource]:
    visits = [
        _encounter(
            ctx,
            i,
            code="AMB",
            start=visit.date,
            end=visit.date,
            department=visit.department,
            reason=visit.chief_complaint,
        )
        for i, visit in enumerate(record.encounters)
    ]
    offset = len(visits)
    stays = [
        _encounter(
            ctx,
            offset + i,
            code="IMP",
            start=stay.admitted_on,
            end=stay.discharged_on,
            department=stay.department,
        )
        for i, stay in enumerate(record.admissions)
    ]
    if visits or stays:
        return visits + stays
    # A record naming no visit was still care given over its service dates.
    return [_encounter(ctx, 0, code="AMB", start=ctx.service_start, end=ctx.service_end)]


def _encounter_on(encounters: list[Resource], day: dt.date | None) -> Resource:
    """The visit of `day` if the record has one, else its first."""
    if day is not None:
        for encounter in encounters:
            period = encounter["period"]
            if period["start"] <= day.isoformat() <= period.get("end", period["start"]):
                return encounter
    return encounters[0]


def _day(encounter: Resource) -> str:
    return str(encounter["period"]["start"])


def _condition(
    ctx: RecordContext, position: int, diagnosis: Diagnosis, encounters: list[Resource]
) -> Resource:
    encounter = _encounter_on(encounters, diagnosis.date)
    condition: Resource = {
        "resourceType": "Condition",
        "id": ctx.id("Condition", position),
        "meta": _meta(PROFILE_CONDITION),
        "category": [
            # KR Core's fixed 진단, and FHIR's own category for readers that know only it
            {"coding": [{"system": krcore.CONDITION_CATEGORY_SYSTEM, "code": "진단"}]},
            {"coding": [{"system": CONDITION_CATEGORY_SYSTEM, "code": "encounter-diagnosis"}]},
        ],
        "code": {
            "coding": [{"system": KCD8_SYSTEM, "code": diagnosis.code, "display": diagnosis.name}],
            "text": diagnosis.name,
        },
        "subject": ctx.patient,
        "encounter": _ref(encounter),
        "recordedDate": diagnosis.date.isoformat() if diagnosis.date else _day(encounter),
    }
    if diagnosis.primary:
        condition["note"] = [{"text": "주상병"}]
    return condition


def _medication_request(
    ctx: RecordContext,
    position: int,
    *,
    medication: Resource,
    encounter: Resource,
    authored: dt.date | None,
    dosage: Resource,
    dispense: Resource,
) -> Resource:
    return {
        "resourceType": "MedicationRequest",
        "id": ctx.id("MedicationRequest", position),
        "meta": _meta(PROFILE_MEDICATION_REQUEST),
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": medication,
        "subject": ctx.patient,
        "encounter": _ref(encounter),
        "authoredOn": authored.isoformat() if authored else _day(encounter),
        "dosageInstruction": [dosage],
        "dispenseRequest": dispense,
    }


def _ingredient(text: str) -> Resource:
    return {"url": EXT_MEDICATION_INGREDIENT, "valueCodeableConcept": {"text": text}}


def _days(days: int) -> Resource:
    return {"value": days, "unit": "일", "system": UCUM, "code": "d"}


def _drugs(
    record: MedicalRecord | DentalRecord, ctx: RecordContext, encounters: list[Resource]
) -> list[Resource]:
    requests = []
    for i, drug in enumerate(record.prescriptions):
        edi = (
            [
                {
                    "system": HIRA_EDI_MEDICATION_SYSTEM,
                    "code": drug.drug_code,
                    "display": drug.drug_name,
                }
            ]
            if drug.drug_code
            else []
        )
        # KR Core asks for the ingredient with a product; the record names the product only.
        medication = {"extension": [_ingredient(drug.drug_name)]} | _named(drug.drug_name, *edi)
        dose = _number(drug.dose)
        requests.append(
            _medication_request(
                ctx,
                i,
                medication=medication,
                encounter=_encounter_on(encounters, drug.date),
                authored=drug.date,
                dosage={
                    "text": f"1회 {dose}{drug.unit}, 1일 {drug.frequency_per_day}회, {drug.days}일",
                    "timing": {
                        "repeat": {
                            "frequency": drug.frequency_per_day,
                            "period": 1,
                            "periodUnit": "d",
                        }
                    },
                    "doseAndRate": [{"doseQuantity": {"value": dose, "unit": drug.unit}}],
                },
                dispense={"expectedSupplyDuration": _days(drug.days)},
            )
        )
    return requests


def _herbal(
    record: KoreanMedicineRecord, ctx: RecordContext, encounters: list[Resource]
) -> list[Resource]:
    requests = []
    for i, formula in enumerate(record.herbal_formulas):
        dispense: Resource = {"quantity": {"value": formula.packs, "unit": "첩"}}
        if formula.days:
            dispense["expectedSupplyDuration"] = _days(formula.days)
        requests.append(
            _medication_request(
                ctx,
                i,
                medication={
                    "extension": [
                        _ingredient(f"{herb.name} {_number(herb.grams)}g") for herb in formula.herbs
                    ]
                }
                | _named(formula.name),
                encounter=_encounter_on(encounters, formula.date),
                authored=formula.date,
                dosage={
                    "text": f"{formula.packs}첩",
                    "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "첩"}}],
                },
                dispense=dispense,
            )
        )
    return requests


def _procedure(
    ctx: RecordContext,
    position: int,
    *,
    code: Resource,
    encounter: Resource,
    performed: str,
    body_site: Resource | None = None,
    note: str | None = None,
) -> Resource:
    procedure: Resource = {
        "resourceType": "Procedure",
        "id": ctx.id("Procedure", position),
        "meta": _meta(PROFILE_PROCEDURE),
        "status": "completed",
        "code": code,
        "subject": ctx.patient,
        "encounter": _ref(encounter),
        "performedDateTime": performed,
    }
    if body_site is not None:
        procedure["bodySite"] = [body_site]
    if note:
        procedure["note"] = [{"text": note}]
    return procedure


def _tooth(number: int) -> Resource:
    return {"coding": [{"system": TOOTH_SYSTEM, "code": str(number)}], "text": f"치아 {number}"}


def _procedures(
    record: StructuredRecordModel, ctx: RecordContext, encounters: list[Resource]
) -> list[Resource]:
    first = encounters[0]
    out: list[Resource] = []
    if isinstance(record, MedicalRecord | DentalRecord):
        for done in record.procedures:
            edi = (
                [{"system": HIRA_EDI_PROCEDURE_SYSTEM, "code": done.code, "display": done.name}]
                if done.code
                else []
            )
            code = _named(done.name, *edi)
            encounter = _encounter_on(encounters, done.date)
            out.append(
                _procedure(
                    ctx,
                    len(out),
                    code=code,
                    encounter=encounter,
                    performed=done.date.isoformat(),
                    note=done.notes,
                )
            )
    if isinstance(record, DentalRecord):
        for entry in record.tooth_chart:
            for name in entry.procedures:
                out.append(
                    _procedure(
                        ctx,
                        len(out),
                        code=_named(name),
                        encounter=first,
                        performed=_day(first),
                        body_site=_tooth(entry.tooth),
                    )
                )
    if isinstance(record, KoreanMedicineRecord):
        for point in record.acupuncture:
            out.append(
                _procedure(
                    ctx,
                    len(out),
                    code=_named("침술"),
                    encounter=first,
                    performed=_day(first),
                    body_site={"text": point.point},
                    note=point.method,
                )
            )
        for name in record.moxibustion_cupping:
            out.append(
                _procedure(ctx, len(out), code=_named(name), encounter=first, performed=_day(first))
            )
    return out


def _observation(
    ctx: RecordContext,
    position: int,
    *,
    category: str,
    code: str,
    encounter: Resource,
    day: str,
    value: Resource,
    profile: str | None = None,
) -> Resource:
    observation: Resource = {"resourceType": "Observation", "id": ctx.id("Observation", position)}
    if profile:
        observation["meta"] = _meta(profile)
    return observation | {
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": category}]}],
        "code": _named(code),
        "subject": ctx.patient,
        "encounter": _ref(encounter),
        "effectiveDateTime": day,
        "issued": f"{day}T00:00:00{_KST}",
        **value,
    }


def _result(result: str | None, unit: str | None) -> Resource:
    if result is None:
        return {}
    if unit:
        try:
            return {"valueQuantity": {"value": _number(Decimal(result)), "unit": unit}}
        except InvalidOperation:
            pass
        return {"valueString": f"{result} {unit}"}
    return {"valueString": result}


def _observations(
    record: StructuredRecordModel, ctx: RecordContext, encounters: list[Resource]
) -> list[Resource]:
    first = encounters[0]
    out: list[Resource] = []
    if isinstance(record, MedicalRecord | DentalRecord):
        for test in record.tests:
            value = _result(test.result, test.unit)
            if test.reference_range:
                value["referenceRange"] = [{"text": test.reference_range}]
            if test.finding:
                value["note"] = [{"text": test.finding}]
            out.append(
                _observation(
                    ctx,
                    len(out),
                    category="laboratory",
                    code=test.name,
                    encounter=_encounter_on(encounters, test.date),
                    day=test.date.isoformat(),
                    value=value,
                    profile=PROFILE_OBSERVATION_LAB,
                )
            )
    if isinstance(record, DentalRecord):
        for entry in record.tooth_chart:
            for finding in entry.findings:
                out.append(
                    _observation(
                        ctx,
                        len(out),
                        category="exam",
                        code="치아 소견",
                        encounter=first,
                        day=_day(first),
                        value={"valueString": finding, "bodySite": _tooth(entry.tooth)},
                    )
                )
    if isinstance(record, KoreanMedicineRecord):
        for pattern in record.pattern_identification:
            out.append(
                _observation(
                    ctx,
                    len(out),
                    category="exam",
                    code="변증",
                    encounter=first,
                    day=_day(first),
                    value={"valueString": pattern},
                )
            )
    return out


def record_resources(record: StructuredRecordModel, ctx: RecordContext) -> list[Resource]:
    """A structured record as KR Core resources, in a fixed order: Encounters, Conditions,
    MedicationRequests, Procedures, Observations."""
    encounters = _encounters(record, ctx)
    conditions = [
        _condition(ctx, i, diagnosis, encounters) for i, diagnosis in enumerate(record.diagnoses)
    ]
    if isinstance(record, KoreanMedicineRecord):
        requests = _herbal(record, ctx, encounters)
    else:
        requests = _drugs(record, ctx, encounters)
    return [
        *encounters,
        *conditions,
        *requests,
        *_procedures(record, ctx, encounters),
        *_observations(record, ctx, encounters),
    ]


def adopt_bundle(bundle: dict[str, Any], ctx: RecordContext) -> list[Resource]:
    """A deposited bundle's resources as they are, but with ids unique to the record and stable
    (uuid5 of the record id and the deposited type and id, or position), references rewritten to
    them, and its Patient dropped for the subject (references to it point at the subject)."""
    entries = [e for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]
    renamed: dict[str, str] = {}  # a deposited reference (Type/id or fullUrl) -> ours
    kept: list[Resource] = []
    for position, entry in enumerate(entries):
        resource = entry["resource"]
        kind = str(resource.get("resourceType"))
        old_id = resource.get("id")
        if kind == "Patient":
            new_ref = f"Patient/{ctx.patient_id}"
        else:
            new_id = ctx.id(kind, old_id if old_id else f"#{position}")
            new_ref = f"{kind}/{new_id}"
            kept.append({**resource, "id": new_id})
        if old_id:
            renamed[f"{kind}/{old_id}"] = new_ref
        if entry.get("fullUrl"):
            renamed[str(entry["fullUrl"])] = new_ref
    return [_rewrite(resource, renamed) for resource in kept]


def _rewrite(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, renamed) for k, v in value.items()}
        reference = out.get("reference")
        if isinstance(reference, str) and reference in renamed:
            out["reference"] = renamed[reference]
        return out
    if isinstance(value, list):
        return [_rewrite(v, renamed) for v in value]
    return value


def references_of(resources: Iterable[Resource]) -> set[str]:
    """Every `reference` string in `resources` (tests check each resolves)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            reference = value.get("reference")
            if isinstance(reference, str):
                found.add(reference)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for resource in resources:
        walk(resource)
    return found
