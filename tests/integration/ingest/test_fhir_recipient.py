"""ingest's MHD Document Recipient (ITI-65, `POST /fhir`): a Provide Document Bundle is stored
all or nothing into the client's open transfer, through the same deposits as the transfer API
(records, encrypted objects, RecordStored events); a repeat stores nothing again; every refusal
is an OperationOutcome with the IHE error code and the FHIRPath, and leaves nothing behind.
Every answer is parsed with fhirclient (strict FHIR R4)."""

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.fhir import FHIR_XML
from medrec_shared.platform.fhir_xml import from_xml, to_xml
from tests.support.actors import Depositor
from tests.support.builders import BIRTH, NAME, NOTE, RRN
from tests.support.ingest import IngestStore, NewDepositor
from tests.support.krcore import krcore_bundle, resource
from tests.support.mhd import (
    FHIR_JSON,
    Doc,
    entry_of,
    expressions,
    iti_codes,
    parsed_bundle,
    parsed_capability,
    parsed_outcome,
    provide_bundle,
    sha1_b64,
)


def post(
    client: Depositor, bundle: dict[str, Any] | bytes, media: str = FHIR_JSON
) -> httpx.Response:
    content = bundle if isinstance(bundle, bytes) else None
    return client.ingest.post(
        "/fhir", json=None if content else bundle, content=content,
        headers={"Content-Type": media}, timeout=120,
    )  # fmt: skip


def three_docs(prefix: str) -> list[Doc]:
    return [
        Doc(f"{prefix}-1", f"{NOTE} 1".encode(), title="외래 진료기록"),
        Doc(f"{prefix}-2", b"%PDF-1.4\n% test\n", content_type="application/pdf",
            title="검사 결과", kind="test_record", start="2020-01-05", end="2020-01-05"),
        Doc(f"{prefix}-3", f"{NOTE} 3".encode(), title="치과 진료기록", specialty="dental"),
    ]  # fmt: skip


def test_metadata_is_a_capability_statement_without_a_token(cluster: Cluster) -> None:
    response = httpx.get(cluster.url("ingest") + "/fhir/metadata", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    statement = parsed_capability(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert [i.code for i in statement.rest[0].interaction] == ["transaction"]


def test_a_submission_is_stored_whole_and_a_repeat_stores_nothing(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "엠에이치디의원")
    docs = three_docs("mhd")
    bundle = provide_bundle(docs)
    objects = store.objects()

    response = post(client, bundle)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    answer = parsed_bundle(response.json())
    assert answer.type == "transaction-response"
    assert len(answer.entry) == len(bundle["entry"])
    records = {r["external_id"]: r for r in store.records(transfer_id)}
    assert set(records) == {d.external_id for d in docs}
    for n, doc in enumerate(docs):
        record = records[doc.external_id]
        i, j = entry_of(bundle, "DocumentReference", n), entry_of(bundle, "Binary", n)
        assert answer.entry[i].response.status == "201 Created"
        assert answer.entry[i].response.location == f"DocumentReference/{record['record_id']}"
        assert answer.entry[j].response.location == f"Binary/{record['record_id']}"
        assert record["status"] == "stored"
        assert record["title"] == doc.title and record["size"] == len(doc.data)
        assert (record["kind"], record["specialty"]) == (doc.kind, doc.specialty)
        assert str(record["service_start"]) == doc.start
    assert answer.entry[entry_of(bundle, "List")].response.status == "201 Created"
    assert answer.entry[entry_of(bundle, "List")].response.location.startswith("List/")
    assert answer.entry[entry_of(bundle, "Patient")].response.status == "200 OK"
    assert len(store.new_objects(objects)) == 1  # one segment for the submission
    assert len(store.events(transfer_id, "RecordStored")) == 3
    counts = client.transfer(transfer_id)["counts"]
    assert (counts["received"], counts["stored"]) == (3, 3)

    objects = store.objects()
    again = post(client, provide_bundle(docs))
    assert again.status_code == 200, again.text
    repeat = parsed_bundle(again.json())
    located = {e.response.location for e in repeat.entry if e.response.location}
    assert {f"DocumentReference/{r['record_id']}" for r in records.values()} <= located
    assert all(
        e.response.status == "200 OK"
        for e in repeat.entry
        if e.response.location and e.response.location.startswith("DocumentReference/")
    )
    assert store.new_objects(objects) == set()
    assert len(store.records(transfer_id)) == 3
    assert len(store.events(transfer_id, "RecordStored")) == 3
    assert client.transfer(transfer_id)["counts"] == counts


def test_a_contained_patient_and_the_custodian_choose_the_transfer(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "컨테인드의원")
    bundle = provide_bundle([Doc("contained-1", b"note")], contained=True, custodian=code)
    response = post(client, bundle)
    assert response.status_code == 200, response.text
    parsed_bundle(response.json())
    assert [r["external_id"] for r in store.records(transfer_id)] == ["contained-1"]


Mutation = Callable[[dict[str, Any]], None]


def _attachment(bundle: dict[str, Any], n: int = 0) -> dict[str, Any]:
    doc = bundle["entry"][entry_of(bundle, "DocumentReference", n)]["resource"]
    attachment: dict[str, Any] = doc["content"][0]["attachment"]
    return attachment


def _doc(bundle: dict[str, Any], n: int = 0) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][entry_of(bundle, "DocumentReference", n)]["resource"]
    return resource


def _patient(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][entry_of(bundle, "Patient")]["resource"]
    return resource


def _doc_path(bundle: dict[str, Any], n: int = 0) -> str:
    return f"Bundle.entry[{entry_of(bundle, 'DocumentReference', n)}].resource"


def _patient_path(bundle: dict[str, Any]) -> str:
    return f"Bundle.entry[{entry_of(bundle, 'Patient')}].resource"


REFUSALS: dict[str, tuple[Mutation, int, str, Callable[[dict[str, Any]], str]]] = {
    # the second document's hash: the first is fine, and nothing of either is stored
    "hash mismatch": (
        lambda b: _attachment(b, 1).update(hash=sha1_b64(b"other")),
        422, "XDSRepositoryMetadataError",
        lambda b: _doc_path(b, 1) + ".content[0].attachment.hash",
    ),
    "size mismatch": (
        lambda b: _attachment(b, 1).update(size=_attachment(b, 1)["size"] + 1),
        422, "XDSRepositoryMetadataError",
        lambda b: _doc_path(b, 1) + ".content[0].attachment.size",
    ),
    "missing patient identifier": (
        lambda b: _patient(b).pop("identifier"),
        422, "XDSUnknownPatientId", lambda b: _patient_path(b) + ".identifier",
    ),
    "identifier of another system": (
        lambda b: _patient(b).update(identifier=[{"system": "urn:oid:1.2.3", "value": "x-1"}]),
        422, "XDSUnknownPatientId", lambda b: _patient_path(b) + ".identifier",
    ),
    "not a resident registration number": (
        lambda b: _patient(b)["identifier"][0].update(value="881340-1555555"),
        422, "XDSUnknownPatientId", lambda b: _patient_path(b) + ".identifier",
    ),
    "no masterIdentifier": (
        lambda b: _doc(b).pop("masterIdentifier"),
        422, "XDSRegistryMetadataError", lambda b: _doc_path(b) + ".masterIdentifier",
    ),
    "unknown record kind": (
        lambda b: _doc(b)["category"][0]["coding"][0].update(code="gossip"),
        422, "XDSRegistryMetadataError", lambda b: _doc_path(b) + ".category",
    ),
    "no service period": (
        lambda b: _doc(b)["context"].pop("period"),
        422, "XDSRegistryMetadataError", lambda b: _doc_path(b) + ".context.period.start",
    ),
    "content not what its type says": (
        lambda b: _binary_data(b, 1, b"not a pdf"),
        422, "XDSRegistryMetadataError",
        lambda b: f"Bundle.entry[{entry_of(b, 'Binary', 1)}].resource.data",
    ),
    "a document left out of the SubmissionSet": (
        lambda b: b["entry"][entry_of(b, "List")]["resource"]["entry"].pop(),
        422, "XDSRegistryMetadataError",
        lambda b: f"Bundle.entry[{entry_of(b, 'List')}].resource.entry",
    ),
}  # fmt: skip


def _binary_data(bundle: dict[str, Any], n: int, data: bytes) -> None:
    bundle["entry"][entry_of(bundle, "Binary", n)]["resource"]["data"] = base64.b64encode(
        data
    ).decode()
    _attachment(bundle, n).update(size=len(data), hash=sha1_b64(data))


@pytest.fixture(scope="module")
def refused_clinic(new_depositor: NewDepositor) -> tuple[Depositor, str]:
    client, code = new_depositor()
    return client, client.open_transfer(code, "거절의원")


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_bundle_answers_an_outcome_and_stores_nothing(
    case: str, refused_clinic: tuple[Depositor, str], store: IngestStore
) -> None:
    client, transfer_id = refused_clinic
    mutate, status, code, path = REFUSALS[case]
    bundle = provide_bundle(three_docs(f"refused-{case.replace(' ', '-')}"))
    mutate(bundle)
    expected = path(bundle)
    counts = client.transfer(transfer_id)["counts"]
    objects = store.objects()

    response = post(client, copy.deepcopy(bundle))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    parsed_outcome(outcome)
    assert iti_codes(outcome) == {code}
    assert expected in expressions(outcome), outcome
    assert "박검증" not in response.text and "880808" not in response.text
    assert store.records(transfer_id) == []
    assert store.new_objects(objects) == set()
    # read once: the relay may mark an event sent between two reads
    assert [e["type"] for e in store.events(transfer_id) if e["type"] == "RecordStored"] == []
    assert client.transfer(transfer_id)["counts"] == counts


def test_without_an_open_transfer_nothing_is_stored(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    objects = store.objects()
    response = post(client, provide_bundle([Doc("nowhere-1", b"note")]))
    assert response.status_code == 409, response.text
    parsed_outcome(response.json())
    assert response.json()["issue"][0]["code"] == "conflict"
    # a completed transfer takes nothing either
    transfer_id = client.open_transfer(code, "완료의원")
    assert client.complete(transfer_id, 0).status_code == 200
    response = post(client, provide_bundle([Doc("nowhere-1", b"note")]))
    assert response.status_code == 409, response.text
    assert store.records(transfer_id) == []
    assert store.new_objects(objects) == set()


def test_other_clients_and_media_types_are_refused_as_outcomes(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    reader, _ = new_depositor(["stats:read"])
    response = post(reader, provide_bundle([Doc("scope-1", b"note")]))
    assert response.status_code == 403
    parsed_outcome(response.json())
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "형식의원")
    response = post(client, b"<Bundle/>", media="text/plain")
    assert response.status_code == 415
    parsed_outcome(response.json())
    response = post(client, b"{not json", media=FHIR_JSON)
    assert response.status_code == 422
    parsed_outcome(response.json())
    assert store.records(transfer_id) == []


def test_an_xml_bundle_is_taken_and_answered_in_xml(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "엑스엠엘의원")
    bundle = provide_bundle(three_docs("xml"))
    response = client.ingest.post(
        "/fhir", content=to_xml(bundle),
        headers={"Content-Type": FHIR_XML, "Accept": FHIR_XML}, timeout=120,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_XML)
    answer = parsed_bundle(from_xml(response.content))
    assert answer.type == "transaction-response"
    stored = store.records(transfer_id)
    assert sorted(r["external_id"] for r in stored) == ["xml-1", "xml-2", "xml-3"]
    metadata = client.ingest.get("/fhir/metadata", params={"_format": "xml"})
    assert metadata.headers["content-type"].startswith(FHIR_XML)
    parsed_capability(from_xml(metadata.content))


def _krcore_doc(external_id: str, bundle: dict[str, Any]) -> Doc:
    data = json.dumps(bundle, ensure_ascii=False).encode()
    return Doc(external_id, data, content_type="application/fhir+json", title="KR Core 진료기록")


def test_kr_core_content_is_checked_against_the_patient(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "케이알코어의원")
    good = krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH)
    response = post(client, provide_bundle([_krcore_doc("kr-1", good)]))
    assert response.status_code == 200, response.text

    wrong = krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH)
    coding = resource(wrong, "Condition")["code"]["coding"][0]
    coding["system"] = "http://hl7.org/fhir/sid/icd-10"
    bundle = provide_bundle([Doc("kr-2", b"note"), _krcore_doc("kr-3", wrong)])
    objects = store.objects()
    refused = post(client, bundle)
    assert refused.status_code == 422, refused.text
    outcome = refused.json()
    parsed_outcome(outcome)
    assert iti_codes(outcome) == {"XDSRegistryMetadataError"}
    binary = f"Bundle.entry[{entry_of(bundle, 'Binary', 1)}].resource.data"
    assert binary in expressions(outcome)
    assert any("code.coding" in i["diagnostics"] for i in outcome["issue"]), outcome
    assert [r["external_id"] for r in store.records(transfer_id)] == ["kr-1"]
    assert store.new_objects(objects) == set()


def test_the_fhir_routes_are_in_the_openapi_document(cluster: Cluster) -> None:
    document = httpx.get(cluster.url("ingest") + "/openapi.json", timeout=30).json()
    provide = document["paths"]["/fhir"]["post"]
    assert provide["tags"] == ["fhir"]
    assert FHIR_JSON in provide["requestBody"]["content"]
    assert "fhir" in document["paths"]["/fhir/metadata"]["get"]["tags"]
