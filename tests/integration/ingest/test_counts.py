"""A transfer's counts {received, stored, failed, expired_on_arrival, bytes} follow every kind of
deposit, refusal and repeat; records already past retention are accepted and counted."""

from tests.support.builders import a_record, batch_line, declared, inline
from tests.support.ingest import IngestStore, NewDepositor


def test_counts_follow_deposits_refusals_and_repeats(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "집계의원")
    zero = {"received": 0, "stored": 0, "failed": 0, "expired_on_arrival": 0, "bytes": 0}
    assert client.transfer(transfer_id)["counts"] == zero

    current = a_record(content=inline(b"a" * 100, "text/plain"))
    # A prescription kept 2 years from 2015: past its period on arrival, accepted all the same.
    expired = a_record(kind="prescription", service_start="2015-01-01", service_end="2015-01-02",
                       content=inline(b"b" * 200, "text/plain"))  # fmt: skip
    awaited = b"c" * 1000
    assert client.put_record(transfer_id, "n-1", current).status_code == 201
    assert client.put_record(transfer_id, "n-2", expired).status_code == 201
    assert client.put_record(transfer_id, "n-3", a_record(content=declared(awaited, "text/plain"))
                             ).status_code == 201  # fmt: skip
    assert client.transfer(transfer_id)["counts"] == zero | {
        "received": 3, "stored": 2, "expired_on_arrival": 1, "bytes": 300,
    }  # fmt: skip

    assert client.put_record(transfer_id, "n-4", a_record(kind="diary")).status_code == 422
    assert client.put_record(transfer_id, "n-1", a_record(title="딴것")).status_code == 409
    assert client.put_record(transfer_id, "n-1", current).status_code == 200
    wrong = client.put_content(transfer_id, "n-3", b"d" * 1000, "text/plain")
    assert wrong.status_code == 422
    assert client.put_content(transfer_id, "n-3", awaited, "text/plain").status_code == 201
    assert client.put_content(transfer_id, "n-3", awaited, "text/plain").status_code == 200
    assert client.transfer(transfer_id)["counts"] == {
        "received": 3, "stored": 3, "failed": 3, "expired_on_arrival": 1, "bytes": 1300,
    }  # fmt: skip

    certificate = a_record(
        kind="certificate_copy",
        service_start="2010-05-05",
        service_end="2010-05-05",
        content=inline(b"e" * 50, "text/plain"),
    )
    answers = client.batch(transfer_id, [
        batch_line("n-5", certificate),
        batch_line("n-6", a_record(content=inline(b"f" * 25, "text/plain"))),
        batch_line("n-7", a_record(specialty="vet")),
        batch_line("n-1", current),
    ])  # fmt: skip
    assert [a["status"] for a in answers] == ["created", "created", "invalid", "unchanged"]
    counts = client.transfer(transfer_id)["counts"]
    assert counts == {
        "received": 5, "stored": 5, "failed": 4, "expired_on_arrival": 2, "bytes": 1375,
    }  # fmt: skip
    rows = store.records(transfer_id)
    assert len(rows) == counts["received"]
    assert sum(r["size"] for r in rows if r["status"] == "stored") == counts["bytes"]

    assert client.complete(transfer_id, 5).status_code == 200
    completed = store.events(transfer_id, "TransferCompleted")[0]["data"]
    assert completed["record_count"] == 5 and completed["expired_on_arrival"] == 2
