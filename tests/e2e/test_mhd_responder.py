"""Through the whole stack: documents submitted by ITI-65 (an EMR's Provide Document Bundle, in
FHIR XML) are found by the patient's ITI-67 search and retrieved byte for byte by ITI-68, in the
answer's format; a document deposited through the transfer API (a PDF of several
MiB, uploaded as its own content) is found by the patient's ITI-67 search, by person id and by
RRN in a POST body, and retrieved byte for byte by ITI-68 at its attachment URL; the search and
the retrieval are lines in the citizen's access history; another person's identifier finds
nothing and their record is not retrievable. Every resource parsed by fhirclient."""

import hashlib
import json
import os

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.fhir_xml import to_xml
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import declared, inline, record_body
from tests.support.mhd import Doc, patient, provide_bundle
from tests.support.mhd_consumer import (
    FHIR_XML,
    RRN_SYSTEM,
    documents,
    ids,
    parsed,
    retrieve,
    search,
    search_by_post,
)

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH = "690909-1456781", "배준호", "1969-09-09"
OTHER_RRN, OTHER_NAME = "690909-2456782", "배수진"
CODE = "54000001"
MiB = 1024 * 1024


def test_a_deposited_document_is_found_and_retrieved_byte_for_byte(cluster: Cluster) -> None:
    client_id, secret = Operator(cluster).register_client([CODE])
    vendor = Depositor(cluster, client_id, secret)
    transfer = vendor.open_transfer(CODE, "준호정형외과의원")
    pdf = b"%PDF-1.7\n" + os.urandom(6 * MiB) + b"\n%%EOF\n"
    body = record_body(
        RRN,
        NAME,
        BIRTH,
        declared(pdf, "application/pdf"),
        kind="radiology",
        title="MRI 판독",
        service_start="2026-03-02",
        service_end="2026-03-02",
    )
    assert vendor.put_record(transfer, "mri-1", body).status_code == 201
    assert vendor.put_content(transfer, "mri-1", pdf, "application/pdf").status_code == 201
    other = record_body(OTHER_RRN, OTHER_NAME, BIRTH, inline(b"other", "text/plain"))
    assert vendor.put_record(transfer, "other-1", other).status_code == 201

    citizen = Citizen(cluster, NAME, RRN, phone="010-5400-0001")
    other_citizen = Citizen(cluster, OTHER_NAME, OTHER_RRN, phone="010-5400-0002")
    eventually(lambda: len(citizen.records()) == 1, what="the document in catalog")
    eventually(lambda: len(other_citizen.records()) == 1, what="the other person's record")
    record_id = citizen.records()[0]["record_id"]

    before = citizen.mark_access_log()
    by_id = search(citizen.catalog, patient=citizen.person_id)
    by_rrn = search_by_post(citizen.catalog, {"patient.identifier": f"{RRN_SYSTEM}|{RRN}"})
    assert ids(by_id) == ids(by_rrn) == [record_id]
    document = documents(by_rrn)[0]
    assert document["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert document["content"][0]["attachment"]["size"] == len(pdf)

    retrieved = retrieve(citizen.catalog, document)
    assert retrieved.status_code == 200
    assert retrieved.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(retrieved.content).digest() == hashlib.sha256(pdf).digest()

    # another person's identifier, id or record: nothing found, nothing retrieved
    theirs = {"patient.identifier": f"{RRN_SYSTEM}|{OTHER_RRN}"}
    assert ids(search_by_post(citizen.catalog, theirs)) == []
    assert ids(search(citizen.catalog, patient=other_citizen.person_id)) == []
    their_record = other_citizen.records()[0]["record_id"]
    refused = citizen.catalog.get(f"/fhir/Binary/{their_record}")
    assert refused.status_code == 404 and parsed(refused)["resourceType"] == "OperationOutcome"

    after = citizen.mark_access_log()
    lines = [
        (e["actor_type"], e["action"], e["resource_type"], e["resource_id"])
        for e in citizen.access_between(before, after)
    ]
    assert ("citizen", "download", "record", record_id) in lines
    assert lines.count(("citizen", "list", "records", "1 records")) == 2

    # Ingest's line for the content it served catalog comes through ingest's own relay, so it is
    # in no order with catalog's markers: it is waited for in the whole history.
    def ingest_line() -> bool:
        served = ("service", "view", "record_content", record_id)
        return any(
            (e["actor_type"], e["action"], e["resource_type"], e["resource_id"]) == served
            for e in citizen.access_log()
        )

    eventually(ingest_line, what="ingest's line for the content it served")


SUBMITTED_RRN, SUBMITTED_NAME, SUBMITTED_BIRTH = "720214-2456783", "한지유", "1972-02-14"
SUBMITTER = "54000002"


def test_an_iti65_submission_is_found_by_iti67_and_retrieved_by_iti68(cluster: Cluster) -> None:
    client_id, secret = Operator(cluster).register_client([SUBMITTER])
    emr = Depositor(cluster, client_id, secret)
    emr.open_transfer(SUBMITTER, "지유내과의원")
    docs = [
        Doc("iti65-1", "외래 경과기록: 기침, 경과 관찰".encode(), title="외래 경과기록"),
        Doc(
            "iti65-2",
            b"%PDF-1.4\n% iti-65\n" + bytes(range(256)) + b"\n%%EOF\n",
            content_type="application/pdf",
            title="흉부 X선 판독",
            kind="radiology",
            start="2026-05-06",
            end="2026-05-06",
        ),
    ]
    bundle = provide_bundle(
        docs,
        the_patient=patient(SUBMITTED_RRN, SUBMITTED_NAME, SUBMITTED_BIRTH),
        custodian=SUBMITTER,
    )
    submitted = emr.ingest.post(
        "/fhir", content=to_xml(bundle), headers={"Content-Type": FHIR_XML}, timeout=120
    )
    assert submitted.status_code == 200, submitted.text

    citizen = Citizen(cluster, SUBMITTED_NAME, SUBMITTED_RRN, phone="010-5400-0003")
    eventually(lambda: len(citizen.records()) == 2, what="the two submitted documents in catalog")
    found = search(citizen.catalog, patient=citizen.person_id, _format="xml")
    assert ids(found) == [r["record_id"] for r in citizen.records()]
    by_title = {d["description"]: d for d in documents(found)}
    assert set(by_title) == {"외래 경과기록", "흉부 X선 판독"}
    xray = by_title["흉부 X선 판독"]
    assert xray["category"][0]["coding"][0]["code"] == "radiology"
    assert xray["context"]["period"] == {"start": "2026-05-06", "end": "2026-05-06"}
    assert xray["custodian"]["identifier"]["value"] == SUBMITTER
    for doc in docs:
        retrieved = retrieve(citizen.catalog, by_title[doc.title])
        assert retrieved.status_code == 200
        assert retrieved.content == doc.data
        assert retrieved.headers["content-type"].startswith(doc.content_type)
    assert json.loads(json.dumps(found)) == found  # the XML answer read back as plain JSON
