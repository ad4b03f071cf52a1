"""IHE MHD ITI-65 through the whole stack: an EMR's Provide Document Bundle of three documents
(text, PDF, a KR Core bundle) is stored into its open transfer, announced, and listed by catalog
for the citizen it is of; each content reads back byte for byte; a retry of the same bundle
stores nothing twice; a bundle with a hash other than its content's is refused with the path
named, and nothing of it appears anywhere. Every answer parses as FHIR R4 (fhirclient)."""

import json
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually, service_client
from tests.support.builders import new_code
from tests.support.ingest import IngestStore
from tests.support.krcore import krcore_bundle
from tests.support.mhd import (
    FHIR_JSON,
    Doc,
    entry_of,
    expressions,
    iti_codes,
    parsed_bundle,
    parsed_outcome,
    patient,
    provide_bundle,
    sha1_b64,
)

RRN, NAME, BIRTH = "860412-2345678", "김문서", "1986-04-12"


def documents() -> list[Doc]:
    kr_core = krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH, gender="female")
    return [
        Doc("mhd-e2e-1", "외래 경과기록: 두통, 경과 관찰".encode(), title="외래 경과기록"),
        Doc("mhd-e2e-2", b"%PDF-1.4\n% mhd e2e\n%%EOF\n", content_type="application/pdf",
            title="혈액검사 결과", kind="test_record", start="2024-03-04", end="2024-03-04"),
        Doc("mhd-e2e-3", json.dumps(kr_core, ensure_ascii=False).encode(),
            content_type="application/fhir+json", title="KR Core 진료기록",
            start="2024-03-04", end="2024-03-04"),
    ]  # fmt: skip


def submission() -> dict[str, Any]:
    return provide_bundle(documents(), the_patient=patient(RRN, NAME, BIRTH))


@pytest.fixture(scope="module")
def vendor(cluster: Cluster) -> tuple[Depositor, str]:
    code = new_code()
    client_id, secret = Operator(cluster).register_client([code])
    return Depositor(cluster, client_id, secret), code


def post(vendor: Depositor, bundle: dict[str, Any]) -> httpx.Response:
    return vendor.ingest.post(
        "/fhir", content=json.dumps(bundle).encode(), headers={"Content-Type": FHIR_JSON},
        timeout=120,
    )  # fmt: skip


def test_a_submission_is_stored_listed_for_the_citizen_and_read_back_byte_for_byte(
    cluster: Cluster, vendor: tuple[Depositor, str]
) -> None:
    client, code = vendor
    transfer_id = client.open_transfer(code, "문서내과의원")
    store = IngestStore(cluster)
    docs = documents()
    bundle = submission()

    response = post(client, bundle)
    assert response.status_code == 200, response.text
    answer = parsed_bundle(response.json())
    assert answer.type == "transaction-response"
    assert len(answer.entry) == len(bundle["entry"])
    ids = {}
    for n, doc in enumerate(docs):
        entry = answer.entry[entry_of(bundle, "DocumentReference", n)]
        assert entry.response.status == "201 Created"
        ids[doc.external_id] = entry.response.location.removeprefix("DocumentReference/")
        binary = answer.entry[entry_of(bundle, "Binary", n)]
        assert binary.response.location == f"Binary/{ids[doc.external_id]}"

    citizen = Citizen(cluster, NAME, RRN)

    def listed() -> dict[str, dict[str, Any]] | None:
        items = {r["record_id"]: r for r in citizen.records(institution=code)}
        return items if len(items) == len(docs) else None

    items = eventually(listed, what="the citizen's three records in catalog")
    assert set(items) == set(ids.values())
    for doc in docs:
        item = items[ids[doc.external_id]]
        assert (item["kind"], item["specialty"]) == (doc.kind, doc.specialty)

    reader = service_client(cluster, Operator(cluster), "ingest", ["content:read"])
    for doc in docs:
        got = reader.get(
            f"/internal/v1/records/{ids[doc.external_id]}/content",
            params={"purpose": "certified_copy"},
        )
        assert got.status_code == 200, got.text
        assert got.content == doc.data, doc.external_id

    # The Document Source retries the same submission (its answer was lost): nothing twice.
    objects = store.objects()
    again = post(client, submission())
    assert again.status_code == 200, again.text
    repeat = parsed_bundle(again.json())
    for n, doc in enumerate(docs):
        entry = repeat.entry[entry_of(bundle, "DocumentReference", n)]
        assert entry.response.status == "200 OK"
        assert entry.response.location == f"DocumentReference/{ids[doc.external_id]}"
    assert store.new_objects(objects) == set()
    assert len(store.records(transfer_id)) == len(docs)
    assert len(store.events(transfer_id, "RecordStored")) == len(docs)

    # Another document whose hash is not its content's: refused, the path named, nothing kept.
    bad = provide_bundle(
        [Doc("mhd-e2e-4", "추가 기록".encode(), title="추가 기록")],
        the_patient=patient(RRN, NAME, BIRTH),
    )
    attachment = bad["entry"][entry_of(bad, "DocumentReference")]["resource"]["content"][0]
    attachment["attachment"]["hash"] = sha1_b64(b"something else")
    refused = post(client, bad)
    assert refused.status_code == 422, refused.text
    outcome = refused.json()
    parsed_outcome(outcome)
    assert iti_codes(outcome) == {"XDSRepositoryMetadataError"}
    path = f"Bundle.entry[{entry_of(bad, 'DocumentReference')}].resource"
    assert f"{path}.content[0].attachment.hash" in expressions(outcome)
    assert NAME not in refused.text and RRN[:6] not in refused.text
    assert store.new_objects(objects) == set()
    assert len(store.records(transfer_id)) == len(docs)
    assert len(citizen.records(institution=code)) == len(docs)
