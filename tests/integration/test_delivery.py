"""Delivery under crashes (ARCHITECTURE.md, "Delivery"): a relay that dies after publishing and
before marking sent, and a consumer that dies after applying and before committing its offset,
each end with the event applied exactly once. The crashes are real: the worker process exits
at the failpoint, as it would on a power cut."""

import uuid
from collections.abc import Iterator

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.failpoints import CRASH_EXIT_CODE
from tests.support.actors import Institution, Operator, eventually
from tests.support.builders import inline, record_body, structured_medical
from tests.support.stack import group_lag, sql, topic_envelopes

CATALOG_TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.audit.v1"]


@pytest.fixture(scope="module")
def clinic(cluster: Cluster) -> Iterator[tuple[Institution, str]]:
    client_id, secret = Operator(cluster).register_client(["42000001"])
    institution = Institution(cluster, client_id, secret)
    yield institution, institution.open_transfer("42000001", "튼튼내과의원")


def deposit(clinic: tuple[Institution, str], external_id: str, rrn: str) -> str:
    institution, transfer_id = clinic
    body = record_body(
        rrn,
        "정다운",
        "1988-07-07",
        inline(structured_medical("복통"), "application/vnd.medrec.record+json"),
    )
    response = institution.put_record(transfer_id, external_id, body)
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def quiet(cluster: Cluster) -> None:
    """Everything produced so far is relayed and consumed, so the next crash hits our event."""
    eventually(
        lambda: not sql(cluster, "ingest", "SELECT 1 FROM outbox WHERE sent_at IS NULL"),
        what="ingest's outbox to drain",
    )
    try:
        eventually(lambda: group_lag(cluster, "catalog", CATALOG_TOPICS) == 0, what="catch-up")
    except AssertionError:
        worker = cluster.processes.get("catalog-worker")
        log = (cluster.logs / "catalog-worker.log").read_text().splitlines()[-15:]
        lag = group_lag(cluster, "catalog", CATALOG_TOPICS)
        alive = worker is not None and worker.alive()
        raise AssertionError(
            f"catalog did not catch up: lag {lag}, worker alive {alive}; " + "\n".join(log)
        ) from None


def worker_log_from(cluster: Cluster, offset: int) -> str:
    """catalog's worker log from `offset` on: the log is the whole run's, and other tests (an
    API stopped on purpose) leave retries of their own in it."""
    with (cluster.logs / "catalog-worker.log").open("rb") as log:
        log.seek(offset)
        return log.read().decode()


def worker_log_size(cluster: Cluster) -> int:
    return (cluster.logs / "catalog-worker.log").stat().st_size


def catalog_rows(cluster: Cluster, record_id: str) -> int:
    rows = sql(
        cluster,
        "catalog",
        "SELECT count(*) FROM records WHERE record_id = $1",
        uuid.UUID(record_id),
    )
    return int(rows[0][0])


def test_relay_crash_after_publish_republishes_and_applies_once(
    cluster: Cluster, clinic: tuple[Institution, str]
) -> None:
    quiet(cluster)
    log_start = worker_log_size(cluster)
    cluster.stop_process("ingest", "worker")
    try:
        record_id = deposit(clinic, "relay-crash-1", "880707-1111111")
        crashing = cluster.start_process(
            "ingest", "worker", {"MEDREC_FAILPOINTS": "relay.after_publish"}
        )
        assert crashing.wait(60) == CRASH_EXIT_CODE
        unsent = sql(cluster, "ingest", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        assert unsent[0][0] >= 1, "the crash came before the outbox was marked sent"
    finally:
        cluster.start_process("ingest", "worker")

    eventually(lambda: catalog_rows(cluster, record_id) == 1, what="the record in catalog")
    quiet(cluster)
    published = [
        e
        for e in topic_envelopes(cluster, "medrec.record.v1")
        if e["type"] == "RecordStored" and e["data"]["record_id"] == record_id
    ]
    assert len(published) == 2, "published before the crash and again after it"
    assert published[0]["event_id"] == published[1]["event_id"]
    assert catalog_rows(cluster, record_id) == 1
    inbox = sql(
        cluster,
        "catalog",
        "SELECT count(*) FROM inbox WHERE event_id = $1",
        uuid.UUID(published[0]["event_id"]),
    )
    assert inbox[0][0] == 1
    assert "event_handler_gave_up" not in worker_log_from(cluster, log_start)


def test_consumer_crash_before_offset_commit_redelivers_and_applies_once(
    cluster: Cluster, clinic: tuple[Institution, str]
) -> None:
    quiet(cluster)
    log_start = worker_log_size(cluster)
    cluster.stop_process("catalog", "worker")
    try:
        crashing = cluster.start_process(
            "catalog", "worker", {"MEDREC_FAILPOINTS": "consumer.catalog.before_offset_commit"}
        )
        record_id = deposit(clinic, "consumer-crash-1", "880707-2222222")
        assert crashing.wait(90) == CRASH_EXIT_CODE
        assert catalog_rows(cluster, record_id) == 1, "applied before the crash"
        assert group_lag(cluster, "catalog", CATALOG_TOPICS) >= 1, "its offset was not committed"
    finally:
        cluster.start_process("catalog", "worker")

    eventually(lambda: group_lag(cluster, "catalog", CATALOG_TOPICS) == 0, what="redelivery")
    assert catalog_rows(cluster, record_id) == 1
    log = worker_log_from(cluster, log_start)
    assert "event_handler_gave_up" not in log and "event_handler_retry" not in log


def test_a_dependency_outage_holds_the_event_until_it_applies(
    cluster: Cluster, clinic: tuple[Institution, str]
) -> None:
    """catalog needs ingest's API for each stored record's title. With ingest's API down, the
    event is retried (and reported stuck), never skipped; it applies once ingest is back."""
    quiet(cluster)
    log_path = cluster.logs / "catalog-worker.log"
    cluster.stop_process("catalog", "worker")
    try:
        record_id = deposit(clinic, "outage-1", "880707-1333333")
        eventually(
            lambda: not sql(cluster, "ingest", "SELECT 1 FROM outbox WHERE sent_at IS NULL"),
            what="the event to be published",
        )
        cluster.stop_process("ingest", "api")
        stuck_before = log_path.read_text().count("event_handler_stuck")
        cluster.start_process("catalog", "worker")
        eventually(
            lambda: log_path.read_text().count("event_handler_stuck") > stuck_before,
            what="the event to be reported stuck",
        )
        assert catalog_rows(cluster, record_id) == 0
    finally:
        if "catalog-worker" not in cluster.processes:
            cluster.start_process("catalog", "worker")
        cluster.start_process("ingest", "api")
        cluster.wait_ready("ingest")

    eventually(lambda: catalog_rows(cluster, record_id) == 1, what="the event to apply")
    eventually(lambda: group_lag(cluster, "catalog", CATALOG_TOPICS) == 0, what="catch-up")
    assert "event_handler_gave_up" not in log_path.read_text()
