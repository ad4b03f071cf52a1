"""Known-answer tests of the KR Core conversion (`clinical.krcore_out`): one record of each
specialty (and schema 2) converts to exactly the resources pinned in `krcore_out/*.json`, each
of which an independent FHIR R4 library (fhirclient) parses and KR Core's checks
(`medrec_krcore.check_bundle`) pass; ids are stable; a deposited
bundle's resources keep their content with ids and references made medrec's."""

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fhirclient.models.bundle import Bundle

from medrec_krcore import PatientClaim, check_bundle
from medrec_shared.rules.clinical import parse_structured_record
from medrec_shared.rules.clinical.krcore_out import (
    KCD8_SYSTEM,
    RecordContext,
    adopt_bundle,
    organization_resource,
    patient_resource,
    record_resources,
    references_of,
)

PINNED = Path(__file__).parent / "krcore_out"
PERSON = uuid.UUID("0a4c6e0e-1b1f-4a8e-9d51-3a5c2f7e9b10")
INSTITUTION = "11100011"

RECORDS: dict[str, dict[str, Any]] = {
    "medical": {
        "schema_version": "1",
        "specialty": "medical",
        "encounters": [
            {"date": "2024-03-02", "department": "소아청소년과", "chief_complaint": "발열"}
        ],
        "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
        "prescriptions": [
            {
                "drug_name": "아세트아미노펜 시럽",
                "drug_code": "643301230",
                "dose": "5",
                "unit": "mL",
                "frequency_per_day": 3,
                "days": 3,
            }
        ],
        "tests": [
            {
                "name": "CRP",
                "date": "2024-03-02",
                "result": "1.2",
                "unit": "mg/dL",
                "reference_range": "0.0–0.5",
            }
        ],
        "procedures": [{"name": "네뷸라이저", "code": "M0031", "date": "2024-03-02"}],
    },
    "medical_v2": {
        "schema_version": "2",
        "specialty": "medical",
        "diagnoses": [
            {"code": "S82.6", "name": "외측 복사뼈의 골절", "primary": True, "date": "2024-06-10"}
        ],
        "admissions": [
            {
                "admitted_on": "2024-06-10",
                "discharged_on": "2024-06-14",
                "room_class": "ward",
                "department": "정형외과",
            }
        ],
    },
    "dental": {
        "schema_version": "1",
        "specialty": "dental",
        "encounters": [{"date": "2024-05-10"}],
        "diagnoses": [{"code": "K02.1", "name": "상아질의 우식"}],
        "tooth_chart": [{"tooth": 36, "findings": ["우식(C2)"], "procedures": ["레진 충전"]}],
        "procedures": [{"name": "치석제거", "code": "U2232", "date": "2024-05-10"}],
    },
    "korean_medicine": {
        "schema_version": "1",
        "specialty": "korean_medicine",
        "encounters": [{"date": "2024-04-05"}],
        "diagnoses": [{"code": "U23.0", "name": "기허증"}],
        "pattern_identification": ["비기허증"],
        "acupuncture": [{"point": "ST36", "method": "자침 15분 유침"}],
        "moxibustion_cupping": ["관원 간접구"],
        "herbal_formulas": [
            {"name": "보중익기탕", "herbs": [{"name": "황기", "grams": "6"}], "packs": 20}
        ],
    },
}


def _context(name: str) -> RecordContext:
    return RecordContext(
        record_id=uuid.uuid5(uuid.NAMESPACE_URL, f"medrec-test/{name}"),
        patient_id=str(PERSON),
        institution_code=INSTITUTION,
        service_start=dt.date(2024, 3, 2),
        service_end=dt.date(2024, 6, 14),
    )


def convert(name: str) -> list[dict[str, Any]]:
    record = parse_structured_record(json.dumps(RECORDS[name]).encode())
    return record_resources(record, _context(name))


def collection(resources: list[dict[str, Any]]) -> dict[str, Any]:
    born = dt.date(2015, 1, 2)
    subject = patient_resource(PERSON, name="김하나", gender="female", birth_date=born)
    everything = [subject, organization_resource(INSTITUTION, "하나의원"), *resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:test/{r['resourceType']}/{r['id']}", "resource": r}
            for r in everything
        ],
    }


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_record_converts_to_the_pinned_resources(name: str) -> None:
    resources = convert(name)
    pinned = json.loads((PINNED / f"{name}.json").read_text(encoding="utf-8"))
    assert resources == pinned
    assert convert(name) == resources  # the same ids on every call


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_resource_parses_passes_kr_core_and_every_reference_resolves(name: str) -> None:
    bundle = collection(convert(name))
    Bundle(bundle)  # strict: unknown elements or wrong types raise
    claim = PatientClaim(rrn=None, name="김하나", birth_date=dt.date(2015, 1, 2), sex="female")
    assert check_bundle(bundle, patient=claim) == []
    held = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert references_of(e["resource"] for e in bundle["entry"]) <= held


def test_conditions_are_encounter_diagnoses_in_kcd8() -> None:
    conditions = [r for r in convert("dental") if r["resourceType"] == "Condition"]
    assert conditions[0]["code"]["coding"][0] == {
        "system": KCD8_SYSTEM,
        "code": "K02.1",
        "display": "상아질의 우식",
    }
    categories = [c["coding"][0]["code"] for c in conditions[0]["category"]]
    assert categories == ["진단", "encounter-diagnosis"]  # KR Core's, then FHIR's


def test_the_rrn_is_an_identifier_only_when_passed() -> None:
    born = dt.date(2015, 1, 2)
    without = patient_resource(PERSON, name="김하나", gender="female", birth_date=born)
    assert "mois.go.kr" not in json.dumps(without)
    asked = patient_resource(
        PERSON, name="김하나", gender="female", birth_date=born, rrn="150102-4000000"
    )
    assert {"system": "https://mois.go.kr/rrn", "value": "150102-4000000"} in asked["identifier"]


def test_a_deposited_bundle_keeps_its_content_with_our_ids() -> None:
    deposited = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"}},
            {
                "fullUrl": "urn:uuid:e1",
                "resource": {
                    "resourceType": "Encounter",
                    "id": "e1",
                    "status": "finished",
                    "class": {"code": "AMB"},
                    "subject": {"reference": "urn:uuid:p1"},
                },
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "Patient/p1"},
                    "encounter": {"reference": "Encounter/e1"},
                    "code": {"text": "x"},
                }
            },
        ],
    }
    ctx = _context("deposited")
    adopted = adopt_bundle(deposited, ctx)
    assert [r["resourceType"] for r in adopted] == ["Encounter", "Condition"]
    encounter, condition = adopted
    assert encounter["subject"] == {"reference": f"Patient/{PERSON}"}
    assert condition["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
    assert condition["code"] == {"text": "x"}
    assert adopt_bundle(deposited, ctx) == adopted
    other = adopt_bundle(deposited, _context("another record"))
    assert {r["id"] for r in other}.isdisjoint({r["id"] for r in adopted})
