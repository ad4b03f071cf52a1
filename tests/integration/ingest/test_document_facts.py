"""`POST /internal/v1/records:document-facts` (scope document-facts:read): the dates and amounts
of stored structured records (and KR Core bundles, read as ones), read from their encrypted
content, for issuance's documents;
another service's scope, or a depositor, is refused."""

import json
import uuid

import httpx

from medrec_devstack.cluster import Cluster
from tests.support.actors import Operator, bearer, service_client
from tests.support.bills import ADMISSION, DISCHARGE, KM_BILL, OUTPATIENT, record_bytes
from tests.support.builders import (
    BIRTH,
    NAME,
    NOTE,
    RRN,
    a_record,
    declared,
    inline,
    structured,
)
from tests.support.ingest import NewDepositor
from tests.support.krcore import krcore_bundle

STRUCTURED = "application/vnd.medrec.record+json"


def test_facts_of_stored_structured_records(
    cluster: Cluster, operator: Operator, new_depositor: NewDepositor
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "사실의원")
    v2 = record_bytes(
        "medical",
        encounters=[{"date": "2024-03-02", "chief_complaint": NOTE}],
        diagnoses=[{"code": "J06.9", "name": "급성 상기도감염"}],
        admissions=[ADMISSION],
        bills=[OUTPATIENT, DISCHARGE],
    )
    km = record_bytes("korean_medicine", bills=[KM_BILL])
    krcore = json.dumps(krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH)).encode()
    bodies = {
        "facts-v2": a_record(content=inline(v2, STRUCTURED)),
        "facts-km": a_record(content=inline(km, STRUCTURED), specialty="korean_medicine"),
        "facts-v1": a_record(content=inline(structured(), STRUCTURED)),
        "facts-krcore": a_record(content=inline(krcore, "application/fhir+json")),
        "facts-text": a_record(),
        "facts-awaiting": a_record(content=declared(v2, STRUCTURED)),
    }
    ids = {}
    for external_id, body in bodies.items():
        response = client.put_record(transfer_id, external_id, body)
        assert response.status_code == 201, response.text
        ids[external_id] = response.json()["record_id"]

    issuance = httpx.Client(
        base_url=cluster.url("ingest"),
        headers=bearer(cluster.client_token(*cluster.secrets.service_clients["issuance"])),
        timeout=60,
    )
    asked = [*ids.values(), str(uuid.uuid4())]
    answer = issuance.post("/internal/v1/records:document-facts", json={"record_ids": asked})
    assert answer.status_code == 200, answer.text
    items = {item["record_id"]: item for item in answer.json()["items"]}
    # not the text record, not the one awaiting its content, not an unknown id
    assert set(items) == {ids["facts-v2"], ids["facts-km"], ids["facts-v1"], ids["facts-krcore"]}

    facts = items[ids["facts-v2"]]
    assert (facts["schema_version"], facts["specialty"]) == ("2", "medical")
    assert facts["visit_dates"] == ["2024-03-02"]
    assert facts["admissions"] == [{"admitted_on": "2024-06-10", "discharged_on": "2024-06-14"}]
    assert [(b["number"], b["visit"], b["total"], b["patient_total"]) for b in facts["bills"]] == [
        ("O-2024-0302-017", "outpatient", 42_340, 28_653),
        ("I-2024-0614-003", "inpatient", 470_000, 300_000),
    ]
    assert sum(p["amount"] for p in facts["payments"]) == 28_653 + 300_000
    assert facts["has_diagnoses"] is True
    assert [b["korean_medicine"] for b in items[ids["facts-km"]]["bills"]] == [True]
    v1 = items[ids["facts-v1"]]
    assert (v1["schema_version"], v1["visit_dates"], v1["bills"]) == ("1", ["2019-03-02"], [])
    kr = items[ids["facts-krcore"]]  # a KR Core bundle: its Encounter, diagnosis, prescription
    assert (kr["specialty"], kr["visit_dates"], kr["prescription_dates"]) == (
        "medical", ["2024-03-04"], ["2024-03-04"],
    )  # fmt: skip
    assert kr["has_diagnoses"] is True and kr["bills"] == []
    for secret in (NOTE, NAME, RRN, "급성", "J06.9", "소아청소년과", "타이레놀"):
        assert secret not in answer.text

    too_many = [str(uuid.uuid4()) for _ in range(501)]
    for bad in ([], too_many, ["not-an-id"]):
        refused = issuance.post("/internal/v1/records:document-facts", json={"record_ids": bad})
        assert refused.status_code == 422, refused.text

    for other in (service_client(cluster, operator, "ingest", ["names:read", "content:read"]),
                  client.ingest):  # fmt: skip
        refused = other.post("/internal/v1/records:document-facts", json={"record_ids": asked})
        assert refused.status_code == 403, refused.text
