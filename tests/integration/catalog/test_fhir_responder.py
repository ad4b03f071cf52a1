"""catalog's IHE MHD Document Responder: ITI-67 finds the token subject's records (a citizen's
own, a guardian's child's) by each search parameter and pages through `next` links; another
person's id or RRN finds an empty searchset; answers in XML on `_format`; ITI-68 answers a
record's bytes as deposited, the subject's only; the base's CapabilityStatement says so.
Every resource parsed by fhirclient (tests/support/mhd.py)."""

from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.fhir_xml import from_xml
from tests.support.actors import (
    Citizen,
    Institution,
    Operator,
    act_for,
    children_of,
    eventually,
    seed_family_link,
)
from tests.support.builders import inline, record_body
from tests.support.mhd_consumer import (
    FHIR_XML,
    RRN_SYSTEM,
    documents,
    every_page,
    ids,
    parsed,
    retrieve,
    search,
    search_by_post,
)

RRN, NAME, BIRTH = "800303-2345671", "윤서아", "1980-03-03"
OTHER_RRN, OTHER_NAME = "800303-1345672", "윤도현"
CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "150707-4345673", "윤하은", "2015-07-07"
MEDICAL, DENTAL = "53000001", "53000002"
KIND = "https://medrec.example/fhir/CodeSystem/record-kind"
HIRA = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
PDF = "application/pdf"


def care(start: str, end: str, **fields: str) -> dict[str, str]:
    return {"service_start": start, "service_end": end, **fields}


@pytest.fixture(scope="module")
def setting(cluster: Cluster) -> dict[str, Any]:
    client_id, secret = Operator(cluster).register_client([MEDICAL, DENTAL])
    vendor = Institution(cluster, client_id, secret)
    medical = vendor.open_transfer(MEDICAL, "서아내과의원")
    dental = vendor.open_transfer(DENTAL, "서아치과의원")
    contents: dict[str, bytes] = {}
    deposits = [
        (medical, "f-1", RRN, NAME, BIRTH, care("2020-01-05", "2020-01-05")),
        (medical, "f-2", RRN, NAME, BIRTH, care("2025-02-01", "2025-02-03", kind="prescription")),
        (medical, "f-3", RRN, NAME, BIRTH, care("2024-07-01", "2024-07-09", kind="test_record")),
        (dental, "f-4", RRN, NAME, BIRTH, care("2023-03-01", "2023-03-01", specialty="dental")),
        (medical, "f-5", OTHER_RRN, OTHER_NAME, BIRTH, {}),
        (medical, "f-6", CHILD_RRN, CHILD_NAME, CHILD_BIRTH, care("2025-05-05", "2025-05-05")),
    ]
    for transfer, external_id, rrn, name, birth, fields in deposits:
        content = f"%PDF-1.4\n% {external_id}\n".encode() + bytes(range(256))
        body = record_body(rrn, name, birth, inline(content, PDF), **fields)
        answer = vendor.put_record(transfer, external_id, body)
        assert answer.status_code == 201, answer.text
        contents[answer.json()["record_id"]] = content
    seed_family_link(cluster, RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    citizen = Citizen(cluster, NAME, RRN, phone="010-5300-0001")
    other = Citizen(cluster, OTHER_NAME, OTHER_RRN, phone="010-5300-0002")
    eventually(
        lambda: [r["institution"]["name"] is not None for r in citizen.records()] == [True] * 4,
        what="four records in catalog, each with its institution's name",
    )
    eventually(lambda: len(other.records()) == 1, what="the other person's record")
    child = next(c for c in children_of(citizen) if c["name"] == CHILD_NAME)
    guardian = act_for(citizen, child["person_id"])
    eventually(lambda: len(guardian.records()) == 1, what="the child's record")
    return {"citizen": citizen, "other": other, "guardian": guardian, "contents": contents}


def test_the_base_says_what_it_serves(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    anonymous = citizen.catalog.get("/fhir/metadata", headers={"Authorization": ""})
    statement = parsed(anonymous)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert [i["code"] for i in resources["DocumentReference"]["interaction"]] == ["search-type"]
    names = {p["name"] for p in resources["DocumentReference"]["searchParam"]}
    assert {"patient", "patient.identifier", "status", "date", "period", "type"} <= names
    assert resources["Binary"]["interaction"] == [{"code": "read"}]
    (operation,) = resources["Patient"]["operation"]
    assert operation["name"] == "everything" and "interaction" not in resources["Patient"]
    as_xml = parsed(citizen.catalog.get("/fhir/metadata", params={"_format": "xml"}))
    assert as_xml == statement


def test_the_subjects_records_as_document_references(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    bundle = search(citizen.catalog, patient=citizen.person_id)
    assert ids(bundle) == [r["record_id"] for r in citizen.records()]
    first = documents(bundle)[0]
    assert first["subject"] == {"reference": f"Patient/{citizen.person_id}"}
    assert first["status"] == "current"
    assert first["custodian"]["identifier"] == {"system": HIRA, "value": MEDICAL}
    assert first["custodian"]["display"] == "서아내과의원"
    assert first["context"]["period"] == {"start": "2025-02-01", "end": "2025-02-03"}
    assert first["category"][0]["coding"][0] == {"system": KIND, "code": "prescription"}
    assert first["content"][0]["attachment"]["url"].endswith(f"/fhir/Binary/{first['id']}")
    assert search(citizen.catalog, patient=f"Patient/{citizen.person_id}") == bundle  # stable


@pytest.mark.parametrize(
    ("params", "expected_ends"),
    [
        ({"type": f"{KIND}|prescription"}, ["2025-02-03"]),
        ({"category": "test_record"}, ["2024-07-09"]),
        ({"type": "http://loinc.org|34108-1"}, []),
        ({"setting": "dental"}, ["2023-03-01"]),
        ({"facility": f"{HIRA}|{DENTAL}"}, ["2023-03-01"]),
        ({"facility": MEDICAL}, ["2025-02-03", "2024-07-09", "2020-01-05"]),
        ({"period": "ge2024-07-05"}, ["2025-02-03", "2024-07-09"]),
        ({"period": "2024-07-03"}, ["2024-07-09"]),
        ({"period": "lt2023-03-01"}, ["2020-01-05"]),
        ({"status": "current", "setting": "medical"}, ["2025-02-03", "2024-07-09", "2020-01-05"]),
        ({"status": "superseded"}, []),
        ({"date": "ge2000-01-01"}, ["2025-02-03", "2024-07-09", "2023-03-01", "2020-01-05"]),
        ({"date": "lt2000-01-01"}, []),
    ],
)
def test_each_search_parameter(
    setting: dict[str, Any], params: dict[str, str], expected_ends: list[str]
) -> None:
    citizen: Citizen = setting["citizen"]
    found = documents(search(citizen.catalog, patient=citizen.person_id, **params))
    assert [d["context"]["period"]["end"] for d in found] == expected_ends


def test_a_bad_value_is_an_operation_outcome(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    for params in ({"_count": "0"}, {"date": "yesterday"}, {"status": "final"}, {}):
        query = {"patient": citizen.person_id, **params} if params else {}
        answer = citizen.catalog.get("/fhir/DocumentReference", params=query)
        assert answer.status_code == 400 or answer.status_code == 422, answer.text
        assert parsed(answer)["issue"][0]["severity"] == "error"


def test_pages_follow_next_links(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    first = search(citizen.catalog, patient=citizen.person_id, _count="1")
    assert len(ids(first)) == 1
    assert every_page(citizen.catalog, first) == [r["record_id"] for r in citizen.records()]
    dental = search(citizen.catalog, patient=citizen.person_id, _count="1", facility=MEDICAL)
    assert len(every_page(citizen.catalog, dental)) == 3


def test_another_persons_id_or_identifier_finds_nothing(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    other: Citizen = setting["other"]
    assert ids(search(citizen.catalog, patient=other.person_id)) == []
    assert (
        ids(search_by_post(citizen.catalog, {"patient.identifier": f"{RRN_SYSTEM}|{OTHER_RRN}"}))
        == []
    )
    assert ids(search_by_post(citizen.catalog, {"patient.identifier": f"urn:other|{RRN}"})) == []
    own = search_by_post(
        citizen.catalog, {"patient.identifier": f"{RRN_SYSTEM}|{RRN}", "_count": "2"}
    )
    assert ids(own) == [r["record_id"] for r in citizen.records()][:2]
    assert all("rrn" not in link["url"] and RRN not in link["url"] for link in own["link"])
    assert len(every_page(citizen.catalog, own)) == 4
    in_url = citizen.catalog.get(
        "/fhir/DocumentReference", params={"patient.identifier": f"{RRN_SYSTEM}|{RRN}"}
    )
    assert in_url.status_code == 422 and RRN not in in_url.text
    record_of_other = other.records()[0]["record_id"]
    refused = citizen.catalog.get(f"/fhir/Binary/{record_of_other}")
    assert refused.status_code == 404
    assert parsed(refused)["issue"][0]["code"] == "not-found"


def test_a_guardian_acting_for_a_child(setting: dict[str, Any]) -> None:
    guardian = setting["guardian"]
    citizen: Citizen = setting["citizen"]
    found = search(guardian.catalog, patient=guardian.person_id)
    assert ids(found) == [r["record_id"] for r in guardian.records()]
    assert documents(found)[0]["subject"]["reference"] == f"Patient/{guardian.person_id}"
    assert ids(search(guardian.catalog, patient=citizen.person_id)) == []
    child_rrn = {"patient.identifier": f"{RRN_SYSTEM}|{CHILD_RRN}"}
    assert ids(search_by_post(guardian.catalog, child_rrn)) == ids(found)
    content = retrieve(guardian.catalog, documents(found)[0])
    assert content.content == setting["contents"][ids(found)[0]]
    parents = citizen.records()[0]["record_id"]
    assert guardian.catalog.get(f"/fhir/Binary/{parents}").status_code == 404


def test_xml_on_format_or_accept(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    as_json = search(citizen.catalog, patient=citizen.person_id)
    for answer in (
        citizen.catalog.get(
            "/fhir/DocumentReference", params={"patient": citizen.person_id, "_format": "xml"}
        ),
        citizen.catalog.get(
            "/fhir/DocumentReference",
            params={"patient": citizen.person_id},
            headers={"Accept": FHIR_XML},
        ),
    ):
        assert answer.headers["content-type"].startswith(FHIR_XML)
        assert answer.content.startswith(b"<?xml")
        assert parsed(answer) == as_json
    refused = citizen.catalog.get("/fhir/DocumentReference", params={"_format": "xml"})
    assert (
        refused.status_code == 422
        and from_xml(refused.content)["resourceType"] == "OperationOutcome"
    )
    assert citizen.catalog.get("/fhir/metadata", params={"_format": "text/html"}).status_code == 406


def test_retrieval_is_byte_for_byte_and_in_the_access_history(setting: dict[str, Any]) -> None:
    citizen: Citizen = setting["citizen"]
    before = citizen.mark_access_log()
    found = documents(search(citizen.catalog, patient=citizen.person_id))
    for document in found:
        answer = retrieve(citizen.catalog, document)
        assert answer.status_code == 200
        assert answer.content == setting["contents"][document["id"]]
        assert answer.headers["content-type"] == PDF
    after = citizen.mark_access_log()
    lines = citizen.access_between(before, after)
    downloads = {
        (e["action"], e["resource_type"], e["resource_id"])
        for e in lines
        if e["actor_type"] == "citizen"
    }
    assert {("download", "record", d["id"]) for d in found} <= downloads
    assert ("list", "records", "4 records") in downloads
