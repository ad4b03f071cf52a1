"""The internal metadata API catalog reads titles from: one record, or a poll's worth at once."""

import uuid

from medrec_devstack.cluster import Cluster
from tests.support.actors import Operator, service_client
from tests.support.builders import NAME, RRN, a_record, declared
from tests.support.ingest import NewDepositor


def test_metadata_of_several_records_in_one_request(
    cluster: Cluster, operator: Operator, new_depositor: NewDepositor
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "목록의원")
    stored = client.put_record(transfer_id, "meta-1", a_record(title="외래 경과기록"))
    awaiting = client.put_record(
        transfer_id, "meta-2", a_record(content=declared(b"later", "text/plain"))
    )
    assert stored.status_code == awaiting.status_code == 201
    catalog = service_client(cluster, operator, "ingest", ["metadata:read"])
    ids = [stored.json()["record_id"], awaiting.json()["record_id"], str(uuid.uuid4())]

    answer = catalog.post("/internal/v1/records:metadata", json={"record_ids": ids})
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [
        {
            "record_id": ids[0],
            "institution_code": code,
            "title": "외래 경과기록",
            "department": "소아청소년과",
            "kind": "medical_record",
            "specialty": "medical",
        }
    ]  # only what is stored: not the record awaiting content, not an unknown id
    assert RRN not in answer.text and NAME not in answer.text

    for bad in ([], [str(uuid.uuid4())] * 501, ["not-an-id"]):
        refused = catalog.post("/internal/v1/records:metadata", json={"record_ids": bad})
        assert refused.status_code == 422, refused.text
    depositor = client.ingest.post("/internal/v1/records:metadata", json={"record_ids": ids})
    assert depositor.status_code == 403
