"""Completing a transfer: counts checked, what is missing named, TransferCompleted announced
through the outbox, and no writes afterwards."""

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, eventually
from tests.support.builders import NOTE, a_record, batch_line, declared
from tests.support.ingest import IngestStore, NewDepositor


def test_completion_checks_counts_and_names_what_is_missing(
    cluster: Cluster, new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "완료의원", expected_records=4)
    assert client.put_record(transfer_id, "done-1", a_record()).status_code == 201
    assert client.put_record(transfer_id, "done-2", a_record(title="두번째")).status_code == 201
    pending = a_record(content=declared(NOTE.encode(), "text/plain"))
    assert client.put_record(transfer_id, "done-3", pending).status_code == 201

    short = client.complete(transfer_id, 4, ["done-1", "done-2", "done-3", "done-4"])
    assert short.status_code == 409, short.text
    problem = short.json()
    assert problem["type"].endswith("/transfer-incomplete")
    assert (problem["record_count"], problem["received"], problem["stored"]) == (4, 3, 2)
    assert problem["awaiting_content"] == ["done-3"] and problem["awaiting_content_total"] == 1
    assert problem["missing"] == ["done-4"] and problem["missing_total"] == 1

    without_ids = client.complete(transfer_id, 3)
    assert without_ids.status_code == 409
    assert "missing" not in without_ids.json()
    assert without_ids.json()["awaiting_content"] == ["done-3"]
    wrong_list = client.complete(transfer_id, 3, ["done-1"])
    assert wrong_list.status_code == 422
    assert client.transfer(transfer_id)["status"] == "open"
    assert store.events(transfer_id, "TransferCompleted") == []

    assert client.put_content(transfer_id, "done-3", NOTE.encode(), "text/plain").status_code == 201
    completed = client.complete(transfer_id, 3, ["done-1", "done-2", "done-3"])
    assert completed.status_code == 200, completed.text
    body = completed.json()
    assert body["status"] == "completed" and body["record_count"] == 3
    assert body["completed_at"] is not None
    assert body["counts"]["received"] == body["counts"]["stored"] == 3

    events = eventually(
        lambda: [e for e in store.events(transfer_id, "TransferCompleted") if e["sent_at"]],
        what="TransferCompleted to be published",
    )
    assert len(events) == 1
    assert events[0]["key"] == transfer_id
    data = events[0]["data"]
    assert {k: data[k] for k in ("transfer_id", "institution_code", "record_count")} == {
        "transfer_id": transfer_id,
        "institution_code": code,
        "record_count": 3,
    }
    # What the 이관확인서 says (#29): without a declaration, no manifest and nothing missing.
    assert data["expired_on_arrival"] == 0 and data["institution_name"] == "완료의원"
    assert sum(data["counts"].values()) == 3
    assert data["manifest_sha256"] is None and data["missing"] == 0
    assert data["completed_at"] and data["period_from"] and data["period_to"]
    assert client.complete(transfer_id, 3).status_code == 200  # a repeat
    assert client.complete(transfer_id, 4).status_code == 409
    assert len(store.events(transfer_id, "TransferCompleted")) == 1


def test_writes_after_completion_are_refused(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "닫힌의원")
    assert client.put_record(transfer_id, "closed-1", a_record()).status_code == 201
    assert client.complete(transfer_id, 1).status_code == 200
    objects = store.objects()

    refused = [
        client.put_record(transfer_id, "closed-2", a_record()),
        client.put_record(transfer_id, "closed-1", a_record()),
        client.put_content(transfer_id, "closed-1", NOTE.encode(), "text/plain"),
        client.batch_response(transfer_id, b'{"external_id": "closed-3"}\n'),
    ]
    for response in refused:
        assert response.status_code == 409, response.text
        assert response.json()["type"].endswith("/transfer-closed")
    assert [r["external_id"] for r in store.records(transfer_id)] == ["closed-1"]
    assert store.new_objects(objects) == set()
    assert client.transfer(transfer_id)["counts"]["failed"] == 0


def test_an_empty_transfer_completes_with_zero(new_depositor: NewDepositor) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "빈의원")
    assert client.complete(transfer_id, 1).status_code == 409
    assert client.complete(transfer_id, 0).status_code == 200


def test_a_completed_transfer_refuses_the_rest_of_a_batch(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "중간완료의원")
    duplex = client.duplex_batch(transfer_id)
    duplex.send([batch_line("mid-1", a_record())])
    assert duplex.read_answers(1)[0]["status"] == "created"
    assert client.complete(transfer_id, 1).status_code == 200
    duplex.send([batch_line("mid-2", a_record())])
    duplex.finish()
    answers = duplex.read_answers(2)
    duplex.close()
    assert answers[1]["status"] == "conflict"
    assert answers[1]["problem"]["type"].endswith("/transfer-closed")
    assert [r["external_id"] for r in store.records(transfer_id)] == ["mid-1"]


def test_completion_of_another_clients_transfer_is_not_found(
    new_depositor: NewDepositor,
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "남의의원")
    other: Depositor = new_depositor()[0]
    assert other.complete(transfer_id, 0).status_code == 404
    assert client.transfer(transfer_id)["status"] == "open"
