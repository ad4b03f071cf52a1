"""Two replicas of everything (`Cluster(replicas=2)`, as `medrec-stack run --replicas 2`): the
API processes share their port, and the workers share the work without doing any of it twice,
even when one is killed (SIGKILL) in the middle of a batch or of a copy.

A stack of its own, on a data directory of its own: the test kills processes and moves the
clock, which the session's shared stack must not see."""

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from medrec_devstack.cluster import Cluster, process_name
from medrec_identity.worker import HOUSEKEEPING_SECONDS
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.schedule import period_start
from tests.support.actors import Citizen, Depositor, Operator, bearer, eventually
from tests.support.builders import batch_line, inline, record_body, structured_medical
from tests.support.clock import moving_clock
from tests.support.identity_lab import new_name, new_rrn
from tests.support.ingest import IngestStore
from tests.support.stack import in_catalog, sql, stored_event_ids, topic_envelopes

pytestmark = pytest.mark.e2e

STRUCTURED = "application/vnd.medrec.record+json"
CODE = "46000001"
PEOPLE = 10  # owners of the batch's records: their keys spread the events over the partitions
BATCH = 300  # records deposited at least, in chunks, while a catalog worker is killed
CHUNK = 30
SPREAD = 40  # deposits sent a connection each through the API's one port
COPIES_BUCKET = "medrec-copies"
RENDER_LEASE_SECONDS = IssuanceSettings.model_fields["render_lease_seconds"].default
HOUR = 3600  # the sweeps' period (catalog's retention, ingest's release and segment sweeps)


@dataclass(frozen=True)
class Person:
    rrn: str
    name: str
    birth: str

    def record(self, note: str) -> dict[str, Any]:
        return record_body(
            self.rrn, self.name, self.birth, inline(structured_medical(note), STRUCTURED)
        )


@dataclass
class Lab:
    cluster: Cluster
    depositor: Depositor
    transfer_id: str
    people: list[Person]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    state = Path(tmp_path_factory.mktemp("replicas"))
    cluster = Cluster(state, replicas=2, fast=True).start()
    try:
        depositor = Depositor(cluster, *Operator(cluster).register_client([CODE]))
        transfer_id = depositor.open_transfer(CODE, "둘이서내과의원")
        people = []
        for n in range(PEOPLE):
            born = date(1970 + n, 1 + n % 12, 1 + n)
            people.append(Person(new_rrn(born), new_name(), born.isoformat()))
        yield Lab(cluster, depositor, transfer_id, people)
    finally:
        cluster.stop()


# -- what the processes say -------------------------------------------------------------------
def log_size(cluster: Cluster, name: str) -> int:
    path = cluster.logs / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def log_events(cluster: Cluster, name: str, since: int = 0) -> list[dict[str, Any]]:
    """The JSON log lines a process wrote after byte `since` of its log."""
    path = cluster.logs / f"{name}.log"
    if not path.exists():
        return []
    with path.open("rb") as log:
        log.seek(since)
        lines = log.read().splitlines()
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def stalled(cluster: Cluster, name: str, since: int) -> bool:
    return any(e.get("message") == "failpoint_stalled" for e in log_events(cluster, name, since))


def counted(url: str, sample_name: str, **labels: str) -> float:
    """The sum of a metric's samples (with these labels) a process serves."""
    text = httpx.get(url, timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


# -- 1. one port, two API processes -----------------------------------------------------------
def test_deposits_through_the_one_port_reach_both_api_processes(lab: Lab) -> None:
    cluster, person = lab.cluster, lab.people[0]

    def puts(replica: int) -> float:
        url = cluster.metrics_url("ingest", replica)
        return counted(url, "medrec_http_requests_total", method="PUT", status="201")

    before = {replica: puts(replica) for replica in (1, 2)}
    acknowledged = 0
    for n in range(SPREAD):
        # A connection each (no client kept): the kernel spreads connections, not requests.
        response = httpx.put(
            f"{cluster.url('ingest')}/v1/transfers/{lab.transfer_id}/records/spread-{n}",
            json=person.record(f"나눠 받은 진료 {n}"),
            headers=bearer(lab.depositor.token),
            timeout=60,
        )
        acknowledged += response.status_code == 201
    served = {replica: int(puts(replica) - before[replica]) for replica in (1, 2)}
    stored = sql(
        cluster,
        "ingest",
        "SELECT count(*) FROM records WHERE transfer_id = $1 AND external_id LIKE 'spread-%'",
        uuid.UUID(lab.transfer_id),
    )[0][0]
    counts = f"sent {SPREAD}, acknowledged {acknowledged}, stored {stored}, served {served}"
    print(f"replicas, one port: {counts}")  # the tallies, for the record (pytest -s)
    assert acknowledged == stored == SPREAD, counts
    assert sum(served.values()) == SPREAD, counts
    assert all(served.values()), f"one API process served every deposit: {counts}"


# -- 2. a catalog worker killed mid-batch -----------------------------------------------------
def test_a_worker_killed_mid_batch_leaves_each_event_applied_once(lab: Lab) -> None:
    cluster = lab.cluster
    survivor = cluster.worker_metrics_url("catalog", 2)
    duplicates_before = counted(survivor, "medrec_events_handled_total", outcome="duplicate")
    # The first catalog worker, again, holding still after the first event it applies: its
    # batch's offset is never committed.
    cluster.stop_process("catalog", "worker")
    mark = log_size(cluster, "catalog-worker")
    held = cluster.start_process(
        "catalog", "worker", {"MEDREC_FAILPOINTS": "consumer.catalog.applied@600"}
    )
    sent = acknowledged = 0

    def deposit(chunk: int) -> None:
        nonlocal sent, acknowledged
        lines = [
            batch_line(f"mid-{n}", lab.people[n % PEOPLE].record(f"한꺼번에 온 진료 {n}"))
            for n in range(sent, sent + chunk)
        ]
        answers = lab.depositor.batch(lab.transfer_id, lines)
        sent += chunk
        acknowledged += sum(a["status"] == "created" for a in answers)

    try:
        eventually(
            lambda: any(
                e.get("message") == "worker_started"
                for e in log_events(cluster, "catalog-worker", mark)
            ),
            what="the first catalog worker to start again",
        )
        # Deposits go on until the first worker holds mid-batch: until it has rejoined the
        # group, the other one takes every partition.
        for _ in range(20):
            deposit(CHUNK)
            with contextlib.suppress(AssertionError):
                eventually(
                    lambda: stalled(cluster, "catalog-worker", mark),
                    timeout=10,
                    what="the first catalog worker to hold mid-batch",
                )
                break
        assert stalled(cluster, "catalog-worker", mark), f"it never held: sent {sent}"
        while sent < BATCH:  # more events for its partitions while it holds them
            deposit(CHUNK)
    finally:
        held.kill()  # SIGKILL: no offset committed, no consumer group left politely
        cluster.processes.pop("catalog-worker", None)
    assert acknowledged == sent, f"sent {sent}, acknowledged {acknowledged}"

    try:
        rows = sql(
            cluster,
            "ingest",
            "SELECT record_id FROM records WHERE transfer_id = $1 AND external_id LIKE 'mid-%'",
            uuid.UUID(lab.transfer_id),
        )
        ids = [r["record_id"] for r in rows]

        # The killed worker's partitions go to the other one, which gets its uncommitted
        # events again.
        eventually(
            lambda: in_catalog(cluster, ids) == sent, what="every record in catalog", timeout=240
        )
        events = stored_event_ids(cluster, ids)
        applied = sql(
            cluster,
            "catalog",
            "SELECT event_id, count(*) AS n FROM inbox WHERE consumer = 'catalog' "
            "AND event_id = ANY($1::uuid[]) GROUP BY event_id",
            events,
        )
        listed = in_catalog(cluster, ids)
        dropped = counted(survivor, "medrec_events_handled_total", outcome="duplicate")
        counts = (
            f"sent {sent}, acknowledged {acknowledged}, stored in ingest {len(ids)}, "
            f"events {len(events)}, applied {len(applied)}, in catalog {listed}, "
            f"redelivered and dropped by the survivor {int(dropped - duplicates_before)}"
        )
        print(f"replicas, a worker killed mid-batch: {counts}")
        assert len(ids) == len(events) == sent, counts
        assert listed == sent, counts
        assert len(applied) == sent and {r["n"] for r in applied} == {1}, counts
        # The event the killed worker applied came again to the survivor, which dropped it.
        assert dropped > duplicates_before, counts
        # Two relays ran (one per worker): each key's events reached the topic in the order
        # the outbox holds them.
        out_of_order = keys_out_of_order(cluster, "medrec.record.v1")
        assert out_of_order == [], f"keys whose events were published out of order: {counts}"
    finally:
        cluster.start_process("catalog", "worker")


def keys_out_of_order(cluster: Cluster, topic: str) -> list[str]:
    """The keys whose events' first publication on `topic` is not in their outbox order."""
    rows = sql(cluster, "ingest", "SELECT event_id, key, id FROM outbox WHERE topic = $1", topic)
    outbox = {r["event_id"]: (r["key"], r["id"]) for r in rows}
    seen: set[uuid.UUID] = set()
    published: dict[str, list[int]] = {}
    for envelope in topic_envelopes(cluster, topic):  # in partition order, and a key is one
        event_id = uuid.UUID(envelope["event_id"])
        if event_id in seen or event_id not in outbox:
            continue
        seen.add(event_id)
        key, row = outbox[event_id]
        published.setdefault(key, []).append(row)
    return [key for key, ids in published.items() if ids != sorted(ids)]


# -- 3. a copy's worker killed while it renders -----------------------------------------------
def test_a_copy_whose_worker_is_killed_is_made_once_by_the_other(lab: Lab) -> None:
    cluster, owner = lab.cluster, lab.people[1]
    citizen = Citizen(cluster, owner.name, owner.rrn)
    records = eventually(citizen.records, what="the owner's records in catalog")
    store = IngestStore(cluster)
    # Only the first issuance worker renders, and it holds still once the copy is stored,
    # before its outcome is recorded.
    cluster.stop_process("issuance", "worker", replica=2)
    cluster.stop_process("issuance", "worker")
    mark = log_size(cluster, "issuance-worker")
    held = cluster.start_process(
        "issuance", "worker", {"MEDREC_FAILPOINTS": "issuance.copy.rendered@900"}
    )
    try:
        copy = citizen.request_copy([records[0]["record_id"]])
        issuance_id = uuid.UUID(copy["issuance_id"])
        eventually(
            lambda: stalled(cluster, "issuance-worker", mark), what="the copy held mid-render"
        )

        def row() -> dict[str, Any]:
            query = (
                "SELECT status, render_claim, render_failures, object_key "
                "FROM issuances WHERE issuance_id = $1"
            )
            return dict(sql(cluster, "issuance", query, issuance_id)[0])

        def stored() -> set[str]:
            listed = store.s3.list_objects_v2(Bucket=COPIES_BUCKET, Prefix=f"copies/{issuance_id}/")
            return {item["Key"] for item in listed.get("Contents", [])}

        first = row()
        assert first["status"] == "rendering" and first["render_claim"] is not None
        abandoned = f"copies/{issuance_id}/{first['render_claim']}"
        assert stored() == {abandoned}
        # The other replica, sweeping every second, then the first killed.
        cluster.start_process(
            "issuance", "worker", {"MEDREC_ISSUANCE_RENDER_SWEEP_SECONDS": "1"}, replica=2
        )
        held.kill()
        cluster.processes.pop("issuance-worker", None)
        with moving_clock(cluster) as move:
            move(datetime.now(UTC) + timedelta(seconds=RENDER_LEASE_SECONDS + 60))  # lapsed
            ready = citizen.wait_ready(str(issuance_id))
            done = row()
            public = httpx.Client(base_url=cluster.url("issuance"), timeout=60)
            checked = public.get(
                "/v1/verify",
                params={"number": ready["issuance_number"], "code": ready["verification_code"]},
            ).json()
        document = citizen.issuance.get(f"/v1/issuances/{issuance_id}/document")
        objects = stored()
        counts = (
            f"copies asked 1, claims {done['render_failures'] + 1}, "
            f"objects stored {len(objects)}: {objects}"
        )
        print(f"replicas, a worker killed mid-copy: {counts}")
        assert done["status"] == "ready", counts
        assert done["render_failures"] == 1, counts  # one claim taken over, no more
        assert done["object_key"] != abandoned and objects == {done["object_key"]}, counts
        assert document.status_code == 200 and document.content.startswith(b"%PDF"), counts
        assert checked["valid"] is True and checked["sha256"] == ready["sha256"], checked
    finally:
        held.kill()
        cluster.processes.pop("issuance-worker", None)
        cluster.start_process("issuance", "worker")
        if "issuance-worker-2" not in cluster.processes:
            cluster.start_process("issuance", "worker", replica=2)


# -- 4. a scheduled job with two workers ------------------------------------------------------
SCHEDULED = [
    ("identity", "housekeeping", HOUSEKEEPING_SECONDS),
    ("ingest", "release-sweep", HOUR),
    ("ingest", "segment-sweep", HOUR),
    ("catalog", "retention-sweep", HOUR),
]


def outcomes(
    cluster: Cluster, names: list[str], marks: dict[str, int], job: str, period: str
) -> dict[str, list[str]] | None:
    """What each replica said of `job` in `period` (ran, or skipped), once both said it."""
    seen = {
        name: [
            e["message"]
            for e in log_events(cluster, name, marks[name])
            if e.get("job") == job and e.get("period") == period
        ]
        for name in names
    }
    return seen if all(seen.values()) else None


def test_each_scheduled_job_runs_once_per_period_whichever_replica_wins(lab: Lab) -> None:
    cluster = lab.cluster
    names = {
        service: [process_name(service, "worker", replica) for replica in (1, 2)]
        for service, _, _ in SCHEDULED
    }
    start = datetime.now(UTC) + timedelta(days=2)
    tally: list[str] = []
    with moving_clock(cluster) as move:
        for instant in (start, start + timedelta(hours=1)):
            marks = {name: log_size(cluster, name) for ns in names.values() for name in ns}
            move(instant)
            for service, job, seconds in SCHEDULED:
                period = period_start(instant, seconds)
                seen = eventually(
                    lambda s=service, j=job, p=period.isoformat(), m=marks: outcomes(  # type: ignore[misc]
                        cluster, names[s], m, j, p
                    ),
                    what=f"both {service} workers to see {job}'s period",
                )
                runs = [name for name, said in seen.items() if "scheduled_job_ran" in said]
                claims = sql(
                    cluster,
                    service,
                    "SELECT runner FROM schedule_runs WHERE job = $1 AND period_start = $2",
                    job,
                    period,
                )
                tally.append(f"{job}@{period:%H:%M} runs {len(runs)} claims {len(claims)}")
                print(f"replicas, scheduled: {tally[-1]} of 2 workers")
                assert len(runs) == 1 and len(claims) == 1, (
                    f"{job} in the period from {period}: 2 replicas, runs {len(runs)} "
                    f"({seen}), claims {len(claims)}; so far {tally}"
                )
