"""A valid KR Core 2.0 bundle of one visit, as an EMR's KR Core export would hold it: the
Patient, the institution (요양기관기호), the doctor, the Encounter, a KCD-8 diagnosis, a
prescription, a procedure, an observation and a report. Variants for the three specialties
(medical, dental, korean_medicine). Every reference resolves by `urn:uuid:` fullUrl.

`ENTRY` names each resource's index in `Bundle.entry`, for tests that break one and expect its
FHIRPath (`Bundle.entry[3].resource.class`)."""

import copy
import uuid
from typing import Any

from medrec_krcore import (
    CONDITION_CATEGORY_SYSTEM,
    CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE,
    DIAGNOSIS_CATEGORY,
    ENCOUNTER_CLASS_SYSTEM,
    ENCOUNTER_PROFILE,
    HEALTHCARE_ORGANIZATION_PROFILE,
    HIRA_KRNPI_SYSTEM,
    HL7_CONDITION_CATEGORY_SYSTEM,
    KCD8_SYSTEM,
    LOINC_SYSTEM,
    MEDICATION_REQUEST_PROFILE,
    OBSERVATION_CATEGORY_SYSTEM,
    OBSERVATION_LABORATORY_PROFILE,
    PATIENT_PROFILE,
    PRACTITIONER_PROFILE,
    PROCEDURE_PROFILE,
    RRN_SYSTEM,
)

ENTRY = {
    "Patient": 0,
    "Organization": 1,
    "Practitioner": 2,
    "Encounter": 3,
    "Condition": 4,
    "MedicationRequest": 5,
    "Procedure": 6,
    "Observation": 7,
    "DiagnosticReport": 8,
}
HOSPITAL_ID_SYSTEM = "http://example-emr.kr/patient-id"
EDI_SYSTEM = "http://www.hl7korea.or.kr/CodeSystem/hira-edi"  # 건강보험 행위·약제 EDI 코드
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"

#: what each specialty's visit holds: (KCD-8 code, 진단명), (EDI drug code, 약품명, dose, 용법),
#: (EDI procedure code, 처치명), the department
SPECIALTY = {
    "medical": (
        ("J06.9", "급성 상기도감염"),
        ("643900710", "타이레놀정500밀리그램", 1, "1일 3회 식후 30분"),
        ("AA157", "초진 진찰료"),
        "내과",
    ),
    "dental": (
        ("K02.1", "상아질의 우식"),
        ("642102570", "아목시실린캡슐500밀리그램", 1, "1일 3회 식후"),
        ("U0101", "광중합형 복합레진 충전"),
        "치과",
    ),
    "korean_medicine": (
        ("M54.5", "요통"),
        ("K01100", "작약감초탕", 1, "1일 2회 식후"),
        ("40011", "침술(경혈)"),
        "한방내과",
    ),
}


def _urn(name: str, seed: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'medrec-test/{seed}/{name}')}"


def krcore_bundle(
    specialty: str = "medical",
    *,
    name: str = "홍길동",
    rrn: str | None = "900101-1234567",
    birth_date: str = "1990-01-01",
    gender: str = "male",
    hira_code: str = "12345678",
    visit: tuple[str, str] = ("2024-03-04", "2024-03-04"),
    seed: str = "1",
) -> dict[str, Any]:
    """A `collection` Bundle that passes `medrec_krcore.check_bundle` (and parses as R4)."""
    (kcd, diagnosis), (drug, drug_name, dose, sig), (proc, proc_name), department = SPECIALTY[
        specialty
    ]
    urls = {kind: _urn(kind, f"{seed}/{specialty}") for kind in ENTRY}
    ref = {kind: {"reference": url} for kind, url in urls.items()}
    start, end = visit
    identifiers = [{"system": HOSPITAL_ID_SYSTEM, "value": f"P-{seed}"}]
    if rrn is not None:
        identifiers.append({"system": RRN_SYSTEM, "value": rrn})
    resources: dict[str, dict[str, Any]] = {
        "Patient": {
            "resourceType": "Patient",
            "meta": {"profile": [PATIENT_PROFILE]},
            "identifier": identifiers,
            "name": [{"text": name, "family": name[:1], "given": [name[1:]]}],
            "gender": gender,
            "birthDate": birth_date,
        },
        "Organization": {
            "resourceType": "Organization",
            "meta": {"profile": [HEALTHCARE_ORGANIZATION_PROFILE]},
            "identifier": [{"system": HIRA_KRNPI_SYSTEM, "value": hira_code}],
            "name": "한빛의원",
        },
        "Practitioner": {
            "resourceType": "Practitioner",
            "meta": {"profile": [PRACTITIONER_PROFILE]},
            "name": [{"text": "김의사"}],
        },
        "Encounter": {
            "resourceType": "Encounter",
            "meta": {"profile": [ENCOUNTER_PROFILE]},
            "status": "finished",
            "class": {"system": ENCOUNTER_CLASS_SYSTEM, "code": "AMB", "display": "외래"},
            "serviceType": {"text": department},
            "subject": ref["Patient"],
            "participant": [{"individual": ref["Practitioner"]}],
            "period": {"start": start, "end": end},
            "serviceProvider": ref["Organization"],
        },
        "Condition": {
            "resourceType": "Condition",
            "meta": {"profile": [CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE]},
            "category": [
                {
                    "coding": [
                        {"system": CONDITION_CATEGORY_SYSTEM, "code": DIAGNOSIS_CATEGORY},
                        {"system": HL7_CONDITION_CATEGORY_SYSTEM, "code": "encounter-diagnosis"},
                    ]
                }
            ],
            "code": {"coding": [{"system": KCD8_SYSTEM, "code": kcd, "display": diagnosis}]},
            "subject": ref["Patient"],
            "encounter": ref["Encounter"],
            "recordedDate": start,
        },
        "MedicationRequest": {
            "resourceType": "MedicationRequest",
            "meta": {"profile": [MEDICATION_REQUEST_PROFILE]},
            "status": "completed",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": EDI_SYSTEM, "code": drug, "display": drug_name}]
            },
            "subject": ref["Patient"],
            "encounter": ref["Encounter"],
            "authoredOn": start,
            "requester": ref["Practitioner"],
            "dosageInstruction": [
                {
                    "text": sig,
                    "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "정"}}],
                }
            ],
            "dispenseRequest": {
                "expectedSupplyDuration": {
                    "value": 3,
                    "unit": "일",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                }
            },
        },
        "Procedure": {
            "resourceType": "Procedure",
            "meta": {"profile": [PROCEDURE_PROFILE]},
            "status": "completed",
            "code": {"coding": [{"system": EDI_SYSTEM, "code": proc, "display": proc_name}]},
            "subject": ref["Patient"],
            "encounter": ref["Encounter"],
            "performedDateTime": start,
        },
        "Observation": {
            "resourceType": "Observation",
            "meta": {"profile": [OBSERVATION_LABORATORY_PROFILE]},
            "status": "final",
            "category": [
                {"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "laboratory"}]}
            ],
            "code": {
                "coding": [{"system": LOINC_SYSTEM, "code": "718-7", "display": "Hemoglobin"}],
                "text": "혈색소",
            },
            "subject": ref["Patient"],
            "encounter": ref["Encounter"],
            "effectiveDateTime": start,
            "issued": f"{start}T10:00:00+09:00",
            "valueQuantity": {
                "value": 14.2,
                "unit": "g/dL",
                "system": "http://unitsofmeasure.org",
                "code": "g/dL",
            },
        },
        "DiagnosticReport": {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "category": [{"coding": [{"system": V2_0074, "code": "LAB"}]}],
            "code": {
                "coding": [{"system": LOINC_SYSTEM, "code": "58410-2", "display": "CBC panel"}],
                "text": "일반혈액검사",
            },
            "subject": ref["Patient"],
            "encounter": ref["Encounter"],
            "issued": f"{start}T10:00:00+09:00",
            "result": [ref["Observation"]],
        },
    }
    if specialty == "dental":  # the tooth, as FDI notation in the procedure's body site
        resources["Procedure"]["bodySite"] = [
            {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.1719", "code": "36"}]}
        ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": urls[kind], "resource": resources[kind]} for kind in ENTRY],
    }


def resource(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    """The bundle's resource of `kind` (to break it in place)."""
    found: dict[str, Any] = bundle["entry"][ENTRY[kind]]["resource"]
    return found


def broken(bundle: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(bundle)
