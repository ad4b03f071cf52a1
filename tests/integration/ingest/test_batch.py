"""POST …/records:batch: NDJSON streamed in and answered line by line; one bad line stops
nothing; groups are committed before they are answered, so a dropped connection keeps what was
answered; 10,000 records in one request, in bounded memory."""

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, eventually
from tests.support.builders import a_record, batch_line, inline
from tests.support.ingest import IngestStore, NewDepositor
from tests.support.stack import group_lag, rss_samples

MiB = 1024 * 1024
CATALOG_TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.audit.v1"]


def test_answers_arrive_while_the_batch_is_still_being_sent(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "대화의원")
    duplex = client.duplex_batch(transfer_id)
    duplex.send([batch_line("live-1", a_record()), batch_line("live-2", a_record(kind="x"))])
    first = duplex.read_answers(2, timeout=30)  # the request is not finished
    assert [a["status"] for a in first] == ["created", "invalid"]
    assert store.record(transfer_id, "live-1") is not None  # committed before it was answered
    duplex.send([b"", batch_line("live-3", a_record())])  # a blank line is skipped, not answered
    duplex.finish()
    answers = duplex.read_answers(3, timeout=30)
    duplex.close()
    assert [(a["line"], a["external_id"], a["status"]) for a in answers] == [
        (1, "live-1", "created"), (2, "live-2", "invalid"), (4, "live-3", "created"),
    ]  # fmt: skip


def test_a_dropped_batch_keeps_what_was_answered(
    cluster: Cluster, new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "끊긴의원")
    lines = [batch_line(f"cut-{n:03d}", a_record(title=f"기록 {n}")) for n in range(260)]
    duplex = client.duplex_batch(transfer_id)
    duplex.send(lines[:250])
    answered = duplex.read_answers(250, timeout=60)
    duplex.send(lines[250:259])
    duplex.send([lines[259]], newline=False)  # the last line is cut off mid-way
    duplex.abort()

    assert {a["status"] for a in answered} == {"created"}
    held = {r["external_id"]: str(r["record_id"]) for r in store.records(transfer_id)}
    for answer in answered:
        assert held[answer["external_id"]] == answer["record_id"]
    # The server logs each batch when it ends, interrupted or not: then nothing more may appear.
    log = cluster.logs / "ingest-api.log"
    eventually(lambda: f'"transfer_id": "{transfer_id}"' in log.read_text(), what="the batch end")
    final = {r["external_id"] for r in store.records(transfer_id)}
    assert "cut-259" not in final
    assert len(final) == len(set(final))

    replay = client.batch(transfer_id, lines)
    statuses = {a["external_id"]: a["status"] for a in replay}
    assert all(statuses[external_id] == "unchanged" for external_id in final)
    assert all(statuses[f"cut-{n:03d}"] == "created" for n in range(260)
               if f"cut-{n:03d}" not in final)  # fmt: skip
    assert len(store.records(transfer_id)) == 260
    assert len(store.events(transfer_id, "RecordStored")) == 260


def test_ten_thousand_records_in_one_request(
    cluster: Cluster, new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "대량의원")
    count = 10_000
    lines = [
        batch_line(f"bulk-{n:05d}", a_record(content=inline(f"기록 {n} ".encode() * 20,
                                                             "text/plain")))
        for n in range(count)
    ]  # fmt: skip
    lines[5000] = batch_line("bulk-bad", a_record(kind="nobody"))
    objects = store.objects()
    with rss_samples(cluster.processes["ingest-api"].pid, every=0.05) as peak:
        answers = client.batch(transfer_id, lines)

    assert len(answers) == count
    assert [a["line"] for a in answers] == list(range(1, count + 1))
    assert answers[5000]["status"] == "invalid"
    created = [a for a in answers if a["status"] == "created"]
    assert len(created) == count - 1
    counts = client.transfer(transfer_id)["counts"]
    assert (counts["received"], counts["stored"], counts["failed"]) == (count - 1, count - 1, 1)
    rows = store.records(transfer_id)
    assert len(rows) == count - 1 and {r["status"] for r in rows} == {"stored"}
    assert counts["bytes"] == sum(r["size"] for r in rows)
    # Packed: a group's records share one segment, and no other object is left behind.
    segments = {r["object_key"] for r in rows}
    assert {key.split("/")[0] for key in segments} == {"segments"}
    assert store.new_objects(objects) == segments
    assert len(segments) <= count // 50
    assert len(store.events(transfer_id, "RecordStored")) == count - 1
    assert max(peak) < 200 * MiB, f"peak RSS {max(peak) / MiB:.0f} MiB"

    replay = client.batch(transfer_id, lines)
    assert [a["status"] for a in replay].count("unchanged") == count - 1
    assert store.new_objects(objects) == segments
    assert client.transfer(transfer_id)["counts"]["received"] == count - 1

    settle(cluster, store, client, transfer_id)


def settle(cluster: Cluster, store: IngestStore, client: Depositor, transfer_id: str) -> None:
    """The session's cluster is shared: leave it as found, every event published and consumed
    (catalog reads each record's metadata back from ingest, so this takes a while)."""

    def drained() -> bool:
        return not store.fetch("SELECT 1 FROM outbox WHERE sent_at IS NULL LIMIT 1")

    eventually(drained, timeout=300, what="ingest's outbox to drain")
    # Tansu reports a partition's end offset as the base offset of its last record batch, so
    # after a burst the lag reads short until a lone message follows: one more record of the
    # same patient (same key, same partition), published alone, makes the reading exact.
    assert client.put_record(transfer_id, "settle", a_record(title="마지막")).status_code == 201
    eventually(drained, timeout=60, what="ingest's outbox to drain")
    eventually(lambda: group_lag(cluster, "catalog", CATALOG_TOPICS) == 0, timeout=900,
               what="catalog to consume the batch's events")  # fmt: skip


def test_an_overlong_line_is_refused_unread_and_the_others_stored(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "긴줄의원")
    huge = b'{"external_id": "huge-1", "padding": "' + b"x" * (15 * MiB) + b'"}'
    answers = client.batch(transfer_id, [
        batch_line("around-1", a_record()),
        huge,
        b'{"external_id": "crlf-1", "kind": "x"}\r',
        batch_line("around-2", a_record()),
    ])  # fmt: skip
    assert [a["status"] for a in answers] == ["created", "invalid", "invalid", "created"]
    assert answers[1]["problem"]["status"] == 413 and answers[1]["external_id"] is None
    assert answers[2]["external_id"] == "crlf-1"
    assert {r["external_id"] for r in store.records(transfer_id)} == {"around-1", "around-2"}
