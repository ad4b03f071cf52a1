"""Records that arrive past their period are reported in the transfer's summary and destroyed by
the next sweep, here under a crash: the worker dies between deleting a record's object and
committing (a real process exit at the failpoint). The next run finds the row, deletes the
absent object again and commits: each record ends destroyed, with one log entry and one event."""

import uuid

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.failpoints import CRASH_EXIT_CODE
from tests.support.actors import Depositor, Operator, eventually
from tests.support.builders import inline, record_body
from tests.support.ingest import IngestStore, settled, sweep
from tests.support.stack import sql, topic_envelopes
from tests.support.staff import staff_on

CODE = "94000001"


RRN, NAME, BIRTH = "700101-2345678", "임파기", "1970-01-01"


def due_announced(cluster: Cluster, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return [
        uuid.UUID(e["data"]["record_id"])
        for e in topic_envelopes(cluster, "medrec.record.v1")
        if e["type"] == "RecordRetentionDue" and uuid.UUID(e["data"]["record_id"]) in ids
    ]


def test_a_crash_between_object_delete_and_commit_is_completed_once(cluster: Cluster) -> None:
    operator = Operator(cluster)
    catalog_admin = staff_on(cluster, "catalog", "platform", prefix="platform")
    vendor = Depositor(cluster, *operator.register_client([CODE]))
    store = IngestStore(cluster)
    sweep(catalog_admin)  # whatever other tests left past its period goes first
    settled(cluster)

    transfer = vendor.open_transfer(CODE, "오래전약국")
    for n in (1, 2):  # prescriptions of 2015: kept two years, long past
        body = record_body(
            RRN, NAME, BIRTH, inline(f"처방 {n}".encode(), "text/plain"),
            kind="prescription", service_start="2015-05-01", service_end="2015-05-02",
        )  # fmt: skip
        assert vendor.put_record(transfer, f"rx-{n}", body).status_code == 201
    # Expired on arrival: accepted, reported in the transfer's summary, destroyed by the sweep.
    assert vendor.transfer(transfer)["counts"]["expired_on_arrival"] == 2
    completed = vendor.complete(transfer, 2)
    assert completed.status_code == 200, completed.text
    assert store.events(transfer, "TransferCompleted")[0]["data"]["expired_on_arrival"] == 2
    rows = store.records(transfer)
    ids = [r["record_id"] for r in rows]
    keys = {r["object_key"] for r in rows}
    eventually(
        lambda: (
            len(sql(cluster, "catalog", "SELECT 1 FROM records WHERE record_id = ANY($1)", ids))
            == 2
        ),
        what="catalog to hold the records",
    )

    cluster.stop_process("ingest", "worker")
    try:
        # Narrowed to this transfer: another test's leftover record that falls due now would
        # otherwise take the crash, and every restart would crash on it again.
        crashing = cluster.start_process(
            "ingest",
            "worker",
            {"MEDREC_FAILPOINTS": f"ingest.destroy.after_object_delete={transfer}"},
        )
        # Others' records may still count as due: destroyed by ingest, not yet heard of by
        # catalog (a repeat is harmless). Ours are two of them.
        assert sweep(catalog_admin) >= 2
        eventually(
            lambda: set(due_announced(cluster, ids)) == set(ids),
            what="the sweep to announce both records due",
        )
        assert crashing.wait(120) == CRASH_EXIT_CODE
        # Died mid-way: one object deleted, nothing committed.
        assert len(store.records(transfer)) == 2
        assert len(store.present(keys)) == 1
        assert not store.fetch("SELECT 1 FROM destruction_log WHERE record_id = ANY($1)", ids)
    finally:
        cluster.start_process("ingest", "worker")

    # Waited for by its outcome, not by the group's lag: the local broker may report a
    # partition's end at the start of its last batch, and the sweep's two events are one batch.
    eventually(lambda: store.records(transfer) == [], what="the redelivered events to apply")
    settled(cluster)
    assert store.present(keys) == set()
    log = store.fetch(
        "SELECT record_id, reason FROM destruction_log WHERE record_id = ANY($1)", ids
    )
    assert sorted(r["record_id"] for r in log) == sorted(ids)
    assert {r["reason"] for r in log} == {"retention_expired"}

    def announced() -> list[uuid.UUID]:
        return sorted(
            uuid.UUID(e["data"]["record_id"])
            for e in topic_envelopes(cluster, "medrec.record.v1")
            if e["type"] == "RecordDestroyed" and uuid.UUID(e["data"]["record_id"]) in ids
        )

    eventually(lambda: len(announced()) >= 2, what="RecordDestroyed to be published")
    assert announced() == sorted(ids)  # one each, not two
    eventually(
        lambda: (
            {
                r[0]
                for r in sql(
                    cluster, "catalog", "SELECT status FROM records WHERE record_id = ANY($1)", ids
                )
            }
            == {"destroyed"}
        ),
        what="catalog to hear of both destructions",
    )
