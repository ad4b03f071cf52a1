"""Deposits are idempotent by external_id: a repeat is 200 and changes nothing, other content
under the same id is 409, the same record sent at once is stored once, and a replayed batch
creates nothing new."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, Operator, bearer
from tests.support.builders import a_record, batch_line, content_digest, declared, inline
from tests.support.ingest import IngestStore, NewDepositor


def test_a_repeat_changes_nothing_and_other_content_conflicts(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "반복의원")
    first = client.put_record(transfer_id, "chart-1", a_record())
    assert first.status_code == 201
    objects = store.objects()
    counts = client.transfer(transfer_id)["counts"]

    again = client.put_record(transfer_id, "chart-1", a_record())
    assert again.status_code == 200
    assert again.json() == first.json()
    in_batch = client.batch(transfer_id, [batch_line("chart-1", a_record())])
    assert in_batch[0]["status"] == "unchanged"
    assert in_batch[0]["record_id"] == first.json()["record_id"]
    assert store.new_objects(objects) == set()
    assert client.transfer(transfer_id)["counts"] == counts

    for changed in (
        a_record(title="다른 제목"),
        a_record(content=inline(b"other content", "text/plain")),
        a_record(patient={"name": "다른사람", "birth_date": "1988-08-08", "sex": "male"}),
    ):
        response = client.put_record(transfer_id, "chart-1", changed)
        assert response.status_code == 409, response.text
        assert response.json()["type"].endswith("/record-conflict")
        answer = client.batch(transfer_id, [batch_line("chart-1", changed)])[0]
        assert answer["status"] == "conflict"
        assert answer["problem"]["status"] == 409
    assert store.new_objects(objects) == set()
    assert len(store.records(transfer_id)) == 1
    assert len(store.events(transfer_id, "RecordStored")) == 1
    assert client.transfer(transfer_id)["counts"]["failed"] == counts["failed"] + 6


def test_the_same_id_in_another_clients_transfer_conflicts_without_revealing_it(
    new_depositor: NewDepositor, operator: Operator, cluster: Cluster
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "공유의원")
    assert client.put_record(transfer_id, "shared-1", a_record()).status_code == 201
    # A health centre depositing for the same institution code, as another client.
    client_id, secret = operator.register_client([code])
    centre = Depositor(cluster, client_id, secret)
    other_transfer = centre.open_transfer(code, "공유의원")
    response = centre.put_record(other_transfer, "shared-1", a_record())
    assert response.status_code == 409
    assert transfer_id not in response.text
    answer = centre.batch(other_transfer, [batch_line("shared-1", a_record())])[0]
    assert answer["status"] == "conflict" and "record_id" not in answer


def test_the_same_record_sent_concurrently_is_stored_once(
    cluster: Cluster, new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "동시의원")
    objects = store.objects()

    def put(_: int) -> int:
        with httpx.Client(base_url=cluster.url("ingest"), headers=bearer(client.token)) as http:
            url = f"/v1/transfers/{transfer_id}/records/same-1"
            return http.put(url, json=a_record(), timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(put, range(8)))
    assert statuses == [200] * 7 + [201]
    rows = store.records(transfer_id)
    assert len(rows) == 1
    assert store.new_objects(objects) == {f"records/{rows[0]['record_id']}"}
    assert len(store.events(transfer_id, "RecordStored")) == 1
    counts = client.transfer(transfer_id)["counts"]
    assert (counts["received"], counts["stored"], counts["failed"]) == (1, 1, 0)


def test_concurrent_batches_with_the_same_records_store_each_once(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "동시배치의원")
    lines = [batch_line(f"c-{n:03d}", a_record(title=f"기록 {n}")) for n in range(150)]
    objects = store.objects()
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda order: client.batch(transfer_id, order),
                                [lines, lines[::-1], lines[50:] + lines[:50]]))  # fmt: skip
    for answers in results:
        assert len(answers) == 150
        assert {a["status"] for a in answers} <= {"created", "unchanged"}
    created = [a for answers in results for a in answers if a["status"] == "created"]
    assert sorted(a["external_id"] for a in created) == [f"c-{n:03d}" for n in range(150)]
    rows = store.records(transfer_id)
    assert len(rows) == 150
    # The losers' segments went, unless some of their records won: no object nothing points into.
    assert store.new_objects(objects) == {r["object_key"] for r in rows}
    assert len(store.events(transfer_id, "RecordStored")) == 150


def test_a_replayed_batch_creates_nothing_new(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "재전송의원")
    lines = [batch_line(f"r-{n}", a_record(title=f"기록 {n}")) for n in range(30)]
    lines.insert(10, batch_line("r-bad", a_record(kind="diary")))
    first = client.batch(transfer_id, lines)
    assert [a["status"] for a in first].count("created") == 30
    objects = store.objects()
    events = len(store.events(transfer_id))
    counts = client.transfer(transfer_id)["counts"]

    replay = client.batch(transfer_id, lines)

    assert [a["external_id"] for a in replay] == [a["external_id"] for a in first]
    for before, after in zip(first, replay, strict=True):
        if before["status"] == "created":
            assert after == before | {"status": "unchanged"}
        else:
            assert after["status"] == "invalid"
    assert store.new_objects(objects) == set()
    assert len(store.events(transfer_id)) == events
    again = client.transfer(transfer_id)["counts"]
    assert again == counts | {"failed": counts["failed"] + 1}  # the bad line, refused again


def test_repeats_within_one_batch(new_depositor: NewDepositor, store: IngestStore) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "중복의원")
    answers = client.batch(
        transfer_id,
        [
            batch_line("d-1", a_record()),
            batch_line("d-1", a_record()),
            batch_line("d-1", a_record(title="다른 기록")),
            batch_line("d-2", a_record()),
        ],
    )
    assert [a["status"] for a in answers] == ["created", "unchanged", "conflict", "created"]
    assert answers[0]["record_id"] == answers[1]["record_id"]
    assert len(store.records(transfer_id)) == 2


def test_a_declared_record_repeated_with_its_content_inline_takes_the_content(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "선언의원")
    data = "선언 후 본문 전송".encode()
    first = client.put_record(
        transfer_id, "chart-d", a_record(content=declared(data, "text/plain"))
    )
    assert first.status_code == 201 and first.json()["status"] == "awaiting_content"

    given = client.put_record(transfer_id, "chart-d", a_record(content=inline(data, "text/plain")))
    assert given.status_code == 200, given.text
    assert given.json()["status"] == "stored"
    assert given.json()["record_id"] == first.json()["record_id"]
    row = store.record(transfer_id, "chart-d")
    assert row is not None and row["status"] == "stored"
    objects = store.objects(prefix=f"records/{row['record_id']}").keys
    assert objects == {row["object_key"]}

    again = client.put_record(transfer_id, "chart-d", a_record(content=inline(data, "text/plain")))
    assert again.status_code == 200 and again.json() == given.json()
    streamed = client.put_content(
        transfer_id, "chart-d", data, "text/plain", digest=content_digest(data)
    )
    assert streamed.status_code == 200
    assert store.objects(prefix=f"records/{row['record_id']}").keys == objects
    assert len(store.events(transfer_id, "RecordStored")) == 1
    assert client.transfer(transfer_id)["counts"]["stored"] == 1
