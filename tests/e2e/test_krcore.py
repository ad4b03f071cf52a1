"""KR Core content through the whole stack: bundles that fail KR Core 2.0 (a diagnosis coded
outside KCD-8, a Patient without identifier, a dangling reference, another person's Patient)
refused with the FHIRPath named and nothing stored, on a single PUT, a batch line and streamed
content; a valid one stored, its certified copy rendering it in Korean (pdftotext), and a
진료확인서 (with its diagnoses) and a 처방전 issued from it."""

import json
from dataclasses import dataclass
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import content_digest, declared, inline, new_code, record_body
from tests.support.krcore import ENTRY, broken, krcore_bundle, resource
from tests.support.pdfs import pdf_text, squeezed
from tests.support.stack import sql

pytestmark = pytest.mark.e2e

FHIR = "application/fhir+json"
RRN, NAME, BIRTH = "920202-1345678", "강코어", "1992-02-02"
CLINIC = "코어내과의원"
VISIT = "2024-03-04"
YEAR_2024 = {"from": "2024-01-01", "to": "2024-12-31"}


def bundle() -> dict[str, Any]:
    return krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH, gender="male")


def encoded(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def body(content: dict[str, Any]) -> dict[str, Any]:
    return record_body(RRN, NAME, BIRTH, content, service_start=VISIT, service_end=VISIT,
                       department="내과")  # fmt: skip


def at(kind: str, rest: str) -> str:
    return f"content.Bundle.entry[{ENTRY[kind]}].resource{rest}"


@dataclass
class World:
    cluster: Cluster
    code: str
    vendor: Depositor
    transfer_id: str


@pytest.fixture(scope="module")
def world(cluster: Cluster) -> World:
    code = new_code()
    client_id, secret = Operator(cluster).register_client([code])
    vendor = Depositor(cluster, client_id, secret)
    return World(cluster, code, vendor, vendor.open_transfer(code, CLINIC))


def held(world: World, external_id: str) -> list[Any]:
    return sql(world.cluster, "ingest",
               "SELECT status, object_key FROM records WHERE institution_code = $1 "
               "AND external_id = $2", world.code, external_id)  # fmt: skip


def test_a_diagnosis_outside_kcd8_is_refused_on_put_with_its_path(world: World) -> None:
    wrong = broken(bundle())
    resource(wrong, "Condition")["code"]["coding"][0]["system"] = "http://hl7.org/fhir/sid/icd-10"
    response = world.vendor.put_record(
        world.transfer_id, "kr-bad-kcd", body(inline(encoded(wrong), FHIR))
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": at("Condition", ".code.coding[0].system"),
            "message": "must be KCD-8 (http://www.hl7korea.or.kr/CodeSystem/kostat-kcd-8)",
        }
    ]
    assert NAME not in response.text and RRN not in response.text
    assert held(world, "kr-bad-kcd") == []


def test_a_patient_without_identifier_or_another_patient_is_refused_in_a_batch(
    world: World,
) -> None:
    nameless = broken(bundle())
    del resource(nameless, "Patient")["identifier"]
    other = krcore_bundle(name=NAME, rrn=RRN, birth_date="1992-02-03", gender="male")
    lines = [
        {"external_id": "kr-no-identifier"} | body(inline(encoded(nameless), FHIR)),
        {"external_id": "kr-other-patient"} | body(inline(encoded(other), FHIR)),
    ]
    answers = world.vendor.batch(world.transfer_id, lines)
    assert [a["status"] for a in answers] == ["invalid", "invalid"]
    assert [e["field"] for e in answers[0]["problem"]["errors"]] == [at("Patient", ".identifier")]
    assert [e["field"] for e in answers[1]["problem"]["errors"]] == [at("Patient", ".birthDate")]
    assert "1992-02-03" not in json.dumps(answers)
    assert held(world, "kr-no-identifier") == [] and held(world, "kr-other-patient") == []


def test_a_dangling_reference_is_refused_when_streamed_and_no_content_is_kept(
    world: World,
) -> None:
    dangling = broken(bundle())
    resource(dangling, "Condition")["encounter"] = {"reference": "urn:uuid:nowhere"}
    data = encoded(dangling)
    response = world.vendor.put_record(world.transfer_id, "kr-dangling", body(declared(data, FHIR)))
    assert response.status_code == 201, response.text
    response = world.vendor.put_content(
        world.transfer_id, "kr-dangling", data, FHIR, digest=content_digest(data)
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [
        at("Condition", ".encounter.reference")
    ]
    [(status, object_key)] = held(world, "kr-dangling")
    assert status == "awaiting_content" and object_key is None


@pytest.fixture(scope="module")
def stored(world: World) -> tuple[Citizen, str]:
    response = world.vendor.put_record(
        world.transfer_id, "kr-good", body(inline(encoded(bundle()), FHIR))
    )
    assert response.status_code == 201, response.text
    record_id = response.json()["record_id"]
    owner = Citizen(world.cluster, NAME, RRN, phone="010-3030-4040")
    eventually(lambda: any(r["record_id"] == record_id for r in owner.records()),
               what="the KR Core record in the owner's records")  # fmt: skip
    return owner, record_id


def issued(owner: Citizen, request: dict[str, Any]) -> str:
    response = owner.issuance.post("/v1/issuances", json=request)
    assert response.status_code == 202, response.text
    issuance_id = response.json()["issuance_id"]
    owner.wait_ready(issuance_id)
    document = owner.issuance.get(f"/v1/issuances/{issuance_id}/document")
    assert document.status_code == 200, document.text
    return pdf_text(document.content)


def test_a_valid_bundle_is_stored_and_its_copy_renders_it(
    world: World, stored: tuple[Citizen, str]
) -> None:
    owner, record_id = stored
    [(status, object_key)] = held(world, "kr-good")
    assert status == "stored" and object_key is not None
    text = issued(owner, {"document_type": "record_copy", "record_ids": [record_id]})
    for value in ("KR Core 2.0", "J06.9", "AA157", "12345678", VISIT, "외래", "14.2 g/dL"):
        assert value in text, value
    for value in ("급성상기도감염", "타이레놀정500밀리그램", "초진진찰료", "의료기관·의료인"):
        assert value in squeezed(text), value
    assert RRN not in text and NAME not in text


def test_a_treatment_confirmation_and_a_prescription_are_issued_from_it(
    world: World, stored: tuple[Citizen, str]
) -> None:
    owner, _ = stored
    at_clinic = {"institution_code": world.code, "period": YEAR_2024}
    text = issued(owner, {"document_type": "treatment_confirmation", "include_diagnoses": True}
                  | at_clinic)  # fmt: skip
    assert "통원확인서" in squeezed(text) and VISIT in text and "J06.9" in text
    assert CLINIC in squeezed(text)
    text = issued(owner, {"document_type": "prescription"} | at_clinic)
    assert "별지제9호" in squeezed(text) and "J06.9" in text and VISIT in text
    assert "타이레놀정500밀리그램" in squeezed(text) and "643900710" in text
