"""A person's records as KR Core, through the whole stack (`GET /fhir/Patient/{id}/$everything`):
a person with medical, dental and 한방 structured records, a deposited KR Core bundle and a PDF
at three institutions gets one searchset Bundle that an independent FHIR R4 library parses,
whose every reference resolves inside it, without the RRN unless asked, with the same ids on a
second call, the PDF's bytes in a Binary its attachment URL finds; another person's id is 404
(an OperationOutcome); the read is one line in the person's access history; a parent gets their
child's, with the child's token."""

import base64
import json
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from fhirclient.models.bundle import Bundle

from medrec_devstack.cluster import Cluster
from medrec_krcore import PatientClaim, check_bundle
from medrec_shared.platform.fhir import FHIR_XML
from medrec_shared.platform.fhir_xml import from_xml
from medrec_shared.rules.clinical.krcore_out import (
    HIRA_KRNPI_SYSTEM,
    KCD8_SYSTEM,
    references_of,
)
from tests.support.actors import (
    ActingGuardian,
    Citizen,
    Institution,
    Operator,
    children_of,
    eventually,
    seed_family_link,
)
from tests.support.builders import inline, record_body
from tests.support.krcore import krcore_bundle

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH = "820304-1234563", "최한결", "1982-03-04"
CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "160707-3123450", "최이든", "2016-07-07"
OTHER_RRN, OTHER_NAME = "900101-2345678", "한다른"
MEDICAL, DENTAL, KOREAN = "92000001", "92000002", "92000003"
STRUCTURED = "application/vnd.medrec.record+json"
FHIR = "application/fhir+json"
# large enough to come from ingest in many chunks (the Binary's base64 is written as they come)
PDF = b"%PDF-1.4\n%" + bytes(range(256)) * 1200 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

MEDICAL_RECORD = {
    "schema_version": "2",
    "specialty": "medical",
    "encounters": [{"date": "2024-03-02", "chief_complaint": "발열"}],
    "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
    "prescriptions": [
        {
            "drug_name": "아세트아미노펜정",
            "dose": "500",
            "unit": "mg",
            "frequency_per_day": 3,
            "days": 3,
        }
    ],
    "tests": [{"name": "CRP", "date": "2024-03-02", "result": "1.2", "unit": "mg/dL"}],
}
DENTAL_RECORD = {
    "schema_version": "1",
    "specialty": "dental",
    "encounters": [{"date": "2024-05-10"}],
    "diagnoses": [{"code": "K02.1", "name": "상아질의 우식"}],
    "tooth_chart": [{"tooth": 36, "findings": ["우식(C2)"], "procedures": ["레진 충전"]}],
}
KOREAN_RECORD = {
    "schema_version": "1",
    "specialty": "korean_medicine",
    "encounters": [{"date": "2024-04-05"}],
    "diagnoses": [{"code": "M54.5", "name": "요통"}],
    "acupuncture": [{"point": "BL23"}],
    "herbal_formulas": [
        {"name": "독활기생탕", "herbs": [{"name": "독활", "grams": "4"}], "packs": 20}
    ],
}


def deposited_bundle() -> bytes:
    """A KR Core bundle as an EMR deposits it: its own Patient, ids and urn:uuid references."""
    visit = ("2024-07-01", "2024-07-01")
    bundle = krcore_bundle(
        "medical", name=NAME, rrn=RRN, birth_date=BIRTH, hira_code=MEDICAL, visit=visit, seed="a"
    )
    return json.dumps(bundle, ensure_ascii=False).encode()


def deposit(
    clinic: Institution, code: str, name: str, records: list[tuple[str, dict[str, Any]]]
) -> dict[str, str]:
    transfer = clinic.open_transfer(code, name)
    ids = {}
    for external_id, body in records:
        response = clinic.put_record(transfer, external_id, body)
        assert response.status_code == 201, response.text
        ids[external_id] = str(response.json()["record_id"])
    return ids


def structured(document: dict[str, Any], specialty: str, day: str, **kw: Any) -> dict[str, Any]:
    content = inline(json.dumps(document, ensure_ascii=False).encode(), STRUCTURED)
    return record_body(
        RRN, NAME, BIRTH, content, specialty=specialty, service_start=day, service_end=day, **kw
    )


@pytest.fixture(scope="module")
def person(cluster: Cluster) -> dict[str, Any]:
    client_id, secret = Operator(cluster).register_client([MEDICAL, DENTAL, KOREAN])
    clinic = Institution(cluster, client_id, secret)
    ids = deposit(clinic, MEDICAL, "한결내과의원", [
        ("m-1", structured(MEDICAL_RECORD, "medical", "2024-03-02")),
        ("m-fhir", record_body(RRN, NAME, BIRTH, inline(deposited_bundle(), FHIR),
                               service_start="2024-07-01", service_end="2024-07-01")),
        ("m-pdf", record_body(RRN, NAME, BIRTH, inline(PDF, "application/pdf"),
                              title="영상 판독지", service_start="2024-08-01",
                              service_end="2024-08-01")),
        ("child", record_body(CHILD_RRN, CHILD_NAME, CHILD_BIRTH,
                              inline(json.dumps(MEDICAL_RECORD).encode(), STRUCTURED),
                              service_start="2024-03-02", service_end="2024-03-02")),
        ("other", record_body(OTHER_RRN, OTHER_NAME, "1990-01-01", inline(b"x", "text/plain"))),
    ])  # fmt: skip
    ids |= deposit(clinic, DENTAL, "한결치과의원", [
        ("d-1", structured(DENTAL_RECORD, "dental", "2024-05-10")),
    ])  # fmt: skip
    ids |= deposit(clinic, KOREAN, "한결한의원", [
        ("k-1", structured(KOREAN_RECORD, "korean_medicine", "2024-04-05")),
    ])  # fmt: skip
    citizen = Citizen(cluster, NAME, RRN, phone="010-7300-0001")
    eventually(lambda: len(citizen.records()) == 5, what="the person's five records")
    return {"citizen": citizen, "ids": ids}


def everything(citizen: Citizen, person_id: str, **params: str) -> httpx.Response:
    return citizen.catalog.get(f"/fhir/Patient/{person_id}/$everything", params=params)


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def test_the_bundle_parses_resolves_and_holds_every_record(person: dict[str, Any]) -> None:
    citizen: Citizen = person["citizen"]
    response = everything(citizen, citizen.person_id)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["type"] == "searchset"
    Bundle(bundle)  # strict: an unknown element or a wrong type raises
    claim = PatientClaim(rrn=None, name=NAME, birth_date=date.fromisoformat(BIRTH), sex="male")
    assert check_bundle(bundle, patient=claim) == []  # KR Core's checks, as ingest runs them
    held = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    assert len(held) == len(bundle["entry"]), "every id is unique"
    assert references_of(resources(bundle)) <= held, "every reference resolves in the bundle"
    kinds = [r["resourceType"] for r in resources(bundle)]
    assert kinds[0] == "Patient" and resources(bundle)[0]["id"] == citizen.person_id
    for kind in ("Encounter", "Condition", "MedicationRequest", "Procedure", "Observation"):
        assert kind in kinds, kind
    organizations = [r for r in resources(bundle) if r["resourceType"] == "Organization"]
    codes = {i["value"] for o in organizations for i in o["identifier"]}
    assert codes == {MEDICAL, DENTAL, KOREAN}
    assert all(i["system"] == HIRA_KRNPI_SYSTEM for o in organizations for i in o["identifier"])
    kcd = {
        c["code"]
        for r in resources(bundle)
        if r["resourceType"] == "Condition"
        for c in r["code"]["coding"]
        if c["system"] == KCD8_SYSTEM
    }
    assert kcd == {"J06.9", "K02.1", "M54.5"}
    adopted = [r for r in resources(bundle) if r["resourceType"] == "DiagnosticReport"]
    assert len(adopted) == 1, "the deposited bundle's resources are kept"
    assert kinds.count("Patient") == 1, "the deposited bundle's Patient is the subject"
    (document,) = [r for r in resources(bundle) if r["resourceType"] == "DocumentReference"]
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf"
    assert attachment["url"].endswith(f"/fhir/Binary/{person['ids']['m-pdf']}")
    # the content itself beside it, found by the attachment's URL: the file stands on its own
    (binary,) = [e for e in bundle["entry"] if e["fullUrl"] == attachment["url"]]
    assert binary["resource"]["resourceType"] == "Binary"
    assert binary["resource"]["contentType"] == "application/pdf"
    assert base64.b64decode(binary["resource"]["data"], validate=True) == PDF
    assert "mois.go.kr" not in response.text and RRN not in response.text
    assert OTHER_NAME not in response.text and CHILD_NAME not in response.text


def test_the_same_call_gives_the_same_ids(person: dict[str, Any]) -> None:
    citizen: Citizen = person["citizen"]
    first, second = (everything(citizen, citizen.person_id).json() for _ in range(2))
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert resources(first) == resources(second)


def test_the_rrn_only_when_asked(person: dict[str, Any]) -> None:
    citizen: Citizen = person["citizen"]
    bundle = everything(citizen, citizen.person_id, **{"_include-rrn": "true"}).json()
    patient = resources(bundle)[0]
    assert {"system": "https://mois.go.kr/rrn", "value": RRN} in patient["identifier"]
    assert patient["name"] == [{"text": NAME}] and patient["birthDate"] == BIRTH
    assert patient["gender"] == "male"
    Bundle(bundle)


def test_another_persons_id_is_not_found(cluster: Cluster, person: dict[str, Any]) -> None:
    citizen: Citizen = person["citizen"]
    other = Citizen(cluster, OTHER_NAME, OTHER_RRN, phone="010-7300-0002")
    for person_id in (other.person_id, str(uuid.uuid4())):
        response = everything(citizen, person_id)
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"
    # JSON only; the refusal itself speaks the format asked for, as every /fhir error does
    refused = everything(citizen, citizen.person_id, _format="xml")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith(FHIR_XML)
    assert from_xml(refused.content)["resourceType"] == "OperationOutcome"


def test_each_call_is_one_line_in_the_access_history(person: dict[str, Any]) -> None:
    citizen: Citizen = person["citizen"]
    first = citizen.mark_access_log()
    assert everything(citizen, citizen.person_id).status_code == 200
    last = citizen.mark_access_log()
    lines = citizen.access_between(first, last)
    mine = [line for line in lines if line["resource_type"] == "fhir_everything"]
    assert len(mine) == 1, lines
    assert mine[0]["action"] == "download" and mine[0]["resource_id"] == "5 records"


def test_a_parent_gets_their_childs_with_the_childs_token(
    cluster: Cluster, person: dict[str, Any]
) -> None:
    seed_family_link(cluster, RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    citizen: Citizen = person["citizen"]
    child = {c["name"]: c for c in children_of(citizen)}[CHILD_NAME]
    acting = ActingGuardian(citizen, child["person_id"])
    eventually(lambda: len(acting.records()) == 1, what="the child's record")
    bundle = everything(acting, child["person_id"]).json()
    Bundle(bundle)
    assert resources(bundle)[0]["id"] == child["person_id"]
    assert resources(bundle)[0]["name"] == [{"text": CHILD_NAME}]
    assert everything(acting, citizen.person_id).status_code == 404  # the parent's own: not here
