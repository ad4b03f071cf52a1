"""A synthetic export whose records are KR Core bundles, the same bytes on every run: the example
in the repository (`examples/export-krcore/`) and the kit's KR Core tests.

    python -m medrec_transfer.sample_krcore DIR

Three records of one institution (not `examples/export/`'s: its own transfer), each a FHIR R4
`collection` Bundle on KR Core 2.0 (http://www.hl7korea.or.kr/fhir/krcore) as an EMR's KR Core
export writes it: the Patient (krcore-patient, its 주민등록번호 under https://mois.go.kr/rrn,
name, gender, birthDate: the line's patient fields, which ingest makes the bundle match), the
institution as an Organization (krcore-healthcare-organization, its 요양기관기호 under
http://www.hl7korea.or.kr/Identifier/hira-krnpi), the visit (krcore-encounter) and its diagnosis
(krcore-condition-encounter-diagnosis, a KCD-8 code), then per specialty: 의과 a prescription
(krcore-medicationrequest, HIRA EDI drug code with its ATC ingredient) and a blood pressure
(krcore-bloodpressure); 치과 a scaling (krcore-procedure, HIRA EDI procedure code); 한방
acupuncture (krcore-procedure). References are the entries' `urn:uuid:` fullUrls, ids derived
from the record so that they are stable. Two records are inline, the 한방 one a file
(`files/krcore-kor-00002.json`), as an export may give either. Patients are made up."""

import argparse
import base64
import json
import uuid
from pathlib import Path
from typing import Any

from medrec_transfer.sample import patient

FHIR_JSON = "application/fhir+json"
KRCORE = "http://www.hl7korea.or.kr/fhir/krcore"
RRN_SYSTEM = "https://mois.go.kr/rrn"
HIRA_KRNPI = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
KCD8 = "http://www.hl7korea.or.kr/CodeSystem/kostat-kcd-8"
ORGANIZATION_TYPES = "http://www.hl7korea.or.kr/CodeSystem/hira-healthcare-organization-types"
CONDITION_CATEGORY = f"{KRCORE}/CodeSystem/krcore-condition-category-types"
PROCEDURE_CATEGORY = f"{KRCORE}/CodeSystem/krcore-procedure-category-types"
EDI_MEDICATION = "http://www.hl7korea.or.kr/CodeSystem/hira-edi-medication"
EDI_PROCEDURE = "http://www.hl7korea.or.kr/CodeSystem/hira-edi-procedure"
INGREDIENT = f"{KRCORE}/StructureDefinition/krcore-medicationIngredient"
ATC = "http://www.whocc.no/atc"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# An institution of its own: a push finds its transfer by institution, reason and date, and the
# KR Core example must not be taken for examples/export/'s transfer.
INSTITUTION = {
    "code": "41000012",
    "name": "한빛병원",
    "type": "병원",
    "address": "광주광역시 서구 상무중앙로 12",
    "region": "광주",
}
_IDS = uuid.UUID("6f1d3c1e-30a5-4c29-9a43-6b7e0c4d2f10")  # the sample's namespace for uuid5

# (specialty, department, visit day, KCD-8 code and name, title)
RECORDS = [
    ("medical", "내과", "2025-04-08", ("I10", "본태성(원발성) 고혈압"), "외래 진료기록 (KR Core)"),
    ("dental", "치과", "2025-06-17", ("K05.1", "만성 치은염"), "치과 진료기록 (KR Core)"),
    ("korean_medicine", "한방내과", "2025-09-23", ("M54.5", "요통"), "한방 진료기록 (KR Core)"),
]
FIRST = 200  # patient numbers: apart from sample.py's, so no patient is in both examples


def _profile(name: str) -> dict[str, Any]:
    return {"profile": [f"{KRCORE}/StructureDefinition/{name}"]}


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


class _Bundle:
    """A collection Bundle being built: each resource gets a stable id and urn:uuid fullUrl."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.entries: list[dict[str, Any]] = []

    def urn(self, name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_IDS, f'{self.key}/{name}')}"

    def add(self, name: str, resource: dict[str, Any]) -> str:
        full_url = self.urn(name)
        resource = {"resourceType": resource.pop("resourceType"),
                    "id": full_url.rsplit(":", 1)[1], **resource}  # fmt: skip
        self.entries.append({"fullUrl": full_url, "resource": resource})
        return full_url

    def document(self) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "id": str(uuid.uuid5(_IDS, self.key)),
            "meta": {"lastUpdated": "2025-11-30T09:00:00+09:00"},
            "type": "collection",
            "entry": self.entries,
        }


def bundle(
    specialty: str,
    who: dict[str, Any],
    day: str,
    diagnosis: tuple[str, str],
    *,
    institution: dict[str, str] | None = None,
    key: str = "",
) -> dict[str, Any]:
    """A KR Core bundle of one outpatient visit of `who` (a line's `patient` fields)."""
    institution = institution or INSTITUTION
    built = _Bundle(key or f"{specialty}-{day}")
    name = str(who["name"])
    identifiers = [{"system": RRN_SYSTEM, "value": who["rrn"]}] if who.get("rrn") else []
    subject = built.add("patient", {
        "resourceType": "Patient", "meta": _profile("krcore-patient"),
        "identifier": identifiers,
        "name": [{"text": name, "family": name[0], "given": [name[1:]]}],
        "gender": who["sex"], "birthDate": who["birth_date"],
    })  # fmt: skip
    provider = built.add("organization", {
        "resourceType": "Organization", "meta": _profile("krcore-healthcare-organization"),
        "identifier": [{"system": HIRA_KRNPI, "value": institution["code"]}],
        "type": [_coding(ORGANIZATION_TYPES, "21", "병원")],
        "name": institution["name"],
    })  # fmt: skip
    visit = built.add("encounter", {
        "resourceType": "Encounter", "meta": _profile("krcore-encounter"),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "subject": {"reference": subject},
        "period": {"start": f"{day}T09:30:00+09:00", "end": f"{day}T10:10:00+09:00"},
        "serviceProvider": {"reference": provider},
    })  # fmt: skip
    about = {"subject": {"reference": subject}, "encounter": {"reference": visit}}
    built.add("condition", {
        "resourceType": "Condition", "meta": _profile("krcore-condition-encounter-diagnosis"),
        "clinicalStatus": _coding(CONDITION_CLINICAL, "active", "Active"),
        "category": [_coding(CONDITION_CATEGORY, "진단", "진단")],
        "code": _coding(KCD8, *diagnosis), **about,
        "recordedDate": f"{day}T10:00:00+09:00",
    })  # fmt: skip
    if specialty == "medical":
        built.add("prescription", _prescription(day, about))
        built.add("blood-pressure", _blood_pressure(day, about))
    elif specialty == "dental":
        built.add("scaling", _procedure(day, about, ("U2233", "치석제거[1/3악당]")))
    else:
        built.add("acupuncture", _procedure(day, about, ("40011", "침술(경혈)")))
    return built.document()


def _prescription(day: str, about: dict[str, Any]) -> dict[str, Any]:
    drug = _coding(EDI_MEDICATION, "649802420", "노바스크정5밀리그램(암로디핀베실산염)")
    ingredient = _coding(ATC, "C08CA01", "amlodipine")
    drug["extension"] = [{"url": INGREDIENT, "valueCodeableConcept": ingredient}]
    return {
        "resourceType": "MedicationRequest", "meta": _profile("krcore-medicationrequest"),
        "status": "completed", "intent": "order", "medicationCodeableConcept": drug, **about,
        "authoredOn": f"{day}T10:05:00+09:00",
        "dosageInstruction": [{
            "text": "1일 1회 1정 아침 식후",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "정", "system": UCUM,
                                              "code": "{tbl}"}}],
        }],
        "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "unit": "일",
                                                       "system": UCUM, "code": "d"}},
    }  # fmt: skip


def _blood_pressure(day: str, about: dict[str, Any]) -> dict[str, Any]:
    def component(code: str, display: str, value: int) -> dict[str, Any]:
        return {"code": _coding(LOINC, code, display),
                "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM,
                                  "code": "mm[Hg]"}}  # fmt: skip

    return {
        "resourceType": "Observation", "meta": _profile("krcore-bloodpressure"),
        "status": "final",
        "category": [_coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": _coding(LOINC, "85354-9", "Blood pressure panel with all children optional"),
        **about, "effectiveDateTime": f"{day}T09:40:00+09:00",
        "component": [component("8480-6", "Systolic blood pressure", 148),
                      component("8462-4", "Diastolic blood pressure", 92)],
    }  # fmt: skip


def _procedure(day: str, about: dict[str, Any], code: tuple[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Procedure", "meta": _profile("krcore-procedure"),
        "status": "completed",
        "category": _coding(PROCEDURE_CATEGORY, "2", "처치"),
        "code": _coding(EDI_PROCEDURE, *code), **about,
        "performedDateTime": f"{day}T09:50:00+09:00",
    }  # fmt: skip


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n"


def lines(
    institution: dict[str, str] | None = None, people: list[dict[str, Any]] | None = None
) -> list[tuple[dict[str, Any], bytes]]:
    """Each record's line (content left out) and its bundle's bytes; `people`: each record's
    patient fields (default: made-up patients of their own)."""
    out = []
    for i, (specialty, department, day, diagnosis, title) in enumerate(RECORDS):
        who = people[i] if people else patient(FIRST + i)
        external_id = f"KRC-{specialty[:3].upper()}-{i:05d}"
        document = bundle(specialty, who, day, diagnosis, institution=institution,
                          key=external_id)  # fmt: skip
        line = {
            "external_id": external_id, "patient": who, "kind": "medical_record",
            "specialty": specialty, "title": title, "service_start": day, "service_end": day,
            "department": department,
        }  # fmt: skip
        out.append((line, encode(document)))
    return out


def write_export(
    root: Path,
    *,
    institution: dict[str, str] | None = None,
    people: list[dict[str, Any]] | None = None,
) -> Path:
    """Writes transfer.json, records.ndjson and files/ under `root`: the three KR Core records,
    the first two inline, the 한방 one as a file (`people`: as `lines`)."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    transfer = {
        "institution": institution or INSTITUTION,
        "reason": "closure",
        "effective_date": "2026-11-30",
    }
    (root / "transfer.json").write_text(json.dumps(transfer, ensure_ascii=False, indent=2) + "\n")
    with (root / "records.ndjson").open("w", encoding="utf-8") as f:
        for line, data in lines(institution, people):
            if line["specialty"] == "korean_medicine":
                name = f"files/krcore-{line['specialty'][:3]}-00002.json"
                (root / name).write_bytes(data)
                content: dict[str, str] = {"content_type": FHIR_JSON, "file": name}
            else:
                content = {"content_type": FHIR_JSON,
                           "data_base64": base64.b64encode(data).decode()}  # fmt: skip
            f.write(json.dumps(line | {"content": content}, ensure_ascii=False) + "\n")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    write_export(parser.parse_args().dir)


if __name__ == "__main__":
    main()
