"""Known answers of `medrec_krcore.check_bundle`: the fixture bundle of each specialty passes
(and parses as R4), and each broken element is named by its exact FHIRPath, with a message that
never quotes the value."""

from datetime import date
from typing import Any

import pytest

from medrec_krcore import KCD8_SYSTEM, RRN_SYSTEM, PatientClaim, Problem, check_bundle
from medrec_shared.rules import fhir_systems
from tests.support.fhir import parses_as_r4
from tests.support.krcore import ENTRY, broken, krcore_bundle, resource

CLAIM = PatientClaim(rrn="900101-1234567", name="홍길동", birth_date=date(1990, 1, 1), sex="male")


def paths(bundle: Any, claim: PatientClaim | None = CLAIM) -> list[str]:
    problems = check_bundle(bundle, patient=claim)
    for problem in problems:  # nothing personal or clinical in any message
        for value in ("홍길동", "900101", "1234567", "J06.9", "12345678", "1990-01-01"):
            assert value not in problem.message, problem
    return [p.path for p in problems]


def at(kind: str, rest: str = "") -> str:
    return f"Bundle.entry[{ENTRY[kind]}].resource{rest}"


@pytest.mark.parametrize("specialty", ["medical", "dental", "korean_medicine"])
def test_a_valid_bundle_passes_and_parses_as_r4(specialty: str) -> None:
    bundle = krcore_bundle(specialty)
    assert check_bundle(bundle, patient=CLAIM) == []
    assert check_bundle(bundle) == []
    assert parses_as_r4(bundle).entry[ENTRY["Condition"]].resource.code.coding[0].system == (
        KCD8_SYSTEM
    )


def test_wrong_kcd_system() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "Condition")["code"]["coding"][0]["system"] = "http://hl7.org/fhir/sid/icd-10"
    assert check_bundle(bundle, patient=CLAIM) == [
        Problem(at("Condition", ".code.coding[0].system"), f"must be KCD-8 ({KCD8_SYSTEM})")
    ]


def test_missing_patient_identifier() -> None:
    bundle = broken(krcore_bundle())
    del resource(bundle, "Patient")["identifier"]
    assert paths(bundle) == [at("Patient", ".identifier")]


def test_dangling_reference() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "Condition")["encounter"] = {"reference": "urn:uuid:0000-nowhere"}
    resource(bundle, "Observation")["subject"] = {"reference": "Patient/absent"}
    problems = check_bundle(bundle, patient=CLAIM)
    assert [p.path for p in problems] == [
        at("Condition", ".encounter.reference"),
        at("Observation", ".subject.reference"),
    ]
    assert problems[0].message == "does not resolve to an entry of the bundle"


def test_relative_references_resolve_by_type_and_id() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "Patient")["id"] = "p1"
    resource(bundle, "Condition")["subject"] = {"reference": "Patient/p1"}
    assert paths(bundle) == []
    resource(bundle, "Procedure")["subject"] = {"reference": "Encounter/e1"}
    resource(bundle, "Encounter")["id"] = "e1"
    assert paths(bundle) == [at("Procedure", ".subject.reference")]  # not the Patient


@pytest.mark.parametrize(
    ("claim", "path"),
    [
        (
            PatientClaim("900101-2234567", "홍길동", date(1990, 1, 1), "male"),
            ".identifier[1].value",
        ),
        (PatientClaim("900101-1234567", "홍길순", date(1990, 1, 1), "male"), ".name"),
        (PatientClaim(None, None, date(1990, 1, 2), None), ".birthDate"),
        (PatientClaim(None, None, None, "female"), ".gender"),
    ],
)
def test_the_patient_must_be_the_records(claim: PatientClaim, path: str) -> None:
    assert paths(krcore_bundle(), claim) == [at("Patient", path)]


def test_a_claim_matches_without_spaces_or_hyphen() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "Patient")["identifier"][1]["value"] = "9001011234567"
    assert paths(bundle, PatientClaim("900101-1234567", "홍 길동", None, "unknown")) == []


def test_missing_encounter_class_status_and_period() -> None:
    bundle = broken(krcore_bundle())
    encounter = resource(bundle, "Encounter")
    del encounter["class"], encounter["status"]
    encounter["period"] = {"end": "2024-03-04"}
    assert paths(bundle) == [at("Encounter", ".status"), at("Encounter", ".class"),
                             at("Encounter", ".period.start")]  # fmt: skip
    encounter["class"] = {"code": "AMB"}
    assert at("Encounter", ".class.system") in paths(bundle)


def test_diagnosis_category_and_recorded_date() -> None:
    bundle = broken(krcore_bundle())
    condition = resource(bundle, "Condition")
    condition["category"][0]["coding"] = condition["category"][0]["coding"][1:]
    del condition["recordedDate"]
    assert paths(bundle) == [at("Condition", ".category"), at("Condition", ".recordedDate")]


def test_patient_elements() -> None:
    bundle = broken(krcore_bundle())
    patient = resource(bundle, "Patient")
    patient["name"] = [{"family": "홍"}]
    patient["gender"] = "M"
    del patient["birthDate"]
    patient["identifier"][0] = {"value": "P-1"}
    assert paths(bundle, None) == [
        at("Patient", ".identifier[0].system"),
        at("Patient", ".name[0].text"),
        at("Patient", ".gender"),
        at("Patient", ".birthDate"),
    ]


def test_organization_carries_its_hira_code() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "Organization")["identifier"] = [{"system": "urn:other", "value": "1"}]
    assert paths(bundle) == [at("Organization", ".identifier")]
    resource(bundle, "Organization")["identifier"][0]["system"] = (
        "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
    )
    assert paths(bundle) == [at("Organization", ".identifier[0].value")]  # not eight digits


def test_medication_request_procedure_observation_report() -> None:
    bundle = broken(krcore_bundle())
    resource(bundle, "MedicationRequest")["dosageInstruction"][0]["doseAndRate"] = [{}]
    del resource(bundle, "MedicationRequest")["medicationCodeableConcept"]["coding"][0]["display"]
    del resource(bundle, "Procedure")["performedDateTime"]
    del resource(bundle, "Observation")["issued"]
    del resource(bundle, "DiagnosticReport")["category"]
    del resource(bundle, "Practitioner")["name"]
    assert paths(bundle) == [
        at("Practitioner", ".name"),
        at("MedicationRequest", ".medicationCodeableConcept.coding[0].display"),
        at("MedicationRequest", ".dosageInstruction[0].doseAndRate[0].dose[x]"),
        at("Procedure", ".performed[x]"),
        at("Observation", ".issued"),
        at("DiagnosticReport", ".category"),
    ]


def test_the_bundle_itself() -> None:
    assert paths({"resourceType": "Patient"}) == ["Bundle"]
    assert paths({"resourceType": "Bundle", "type": "collection"}) == ["Bundle.entry"]
    bundle = broken(krcore_bundle())
    bundle["entry"] = bundle["entry"][1:]  # no Patient: every subject dangles, and no Patient
    found = paths(bundle, None)
    assert found[-1] == "Bundle.entry"
    assert "Bundle.entry[2].resource.subject.reference" in found


def test_rrn_system_is_medrecs() -> None:
    assert RRN_SYSTEM == fhir_systems.RRN_SYSTEM
