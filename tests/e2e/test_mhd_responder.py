"""Through the whole stack: a document deposited through the transfer API (a PDF of several
MiB, uploaded as its own content) is found by the patient's ITI-67 search, by person id and by
RRN in a POST body, and retrieved byte for byte by ITI-68 at its attachment URL; the search and
the retrieval are lines in the citizen's access history; another person's identifier finds
nothing and their record is not retrievable. Every resource parsed by fhirclient."""

import hashlib
import os

import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import declared, inline, record_body
from tests.support.mhd_consumer import (
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
    assert ("service", "view", "record_content", record_id) in lines  # ingest's, for catalog
