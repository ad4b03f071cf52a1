"""A copy is rendered with no transaction of issuance open: the worker claims it (pending →
rendering, with a lease) in one short transaction, makes it, and records the outcome in another.

Each test stops issuance's worker, asks for its copy (which stays pending), and starts a worker
whose failpoint is named for that copy alone (`name=<issuance id>`), so no other copy in the
shared stack is slowed or crashed by it. While a copy stalls between being stored and its outcome
being recorded, no session of issuance's database sits in a transaction begun before the claim,
and the copy's row can be locked at once. A record unlinked from the copy's subject meanwhile
fails the copy, and the copy stored for it is deleted: nothing is issued. A worker that dies there
(a real process exit) leaves a claim the next worker takes over once its lease has ended: the copy
is rendered once more, and ends ready with one object and one IssuanceReady."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from medrec_devstack.cluster import Cluster
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.failpoints import CRASH_EXIT_CODE
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body, structured_medical
from tests.support.clock import clock_at
from tests.support.stack import sql
from tests.support.staff import TwoPeople

RRN, NAME, BIRTH = "671212-1482630", "남궁렌더", "1967-12-12"
STRUCTURED = "application/vnd.medrec.record+json"
COPIES = "medrec-copies"  # issuance's bucket
LEASE = timedelta(seconds=IssuanceSettings.model_fields["render_lease_seconds"].default)
STALL_SECONDS = 25
POINT = "issuance.copy.rendered"  # the copy stored, its outcome not yet recorded
StartWorker = Callable[[str], Any]


@pytest.fixture(scope="module")
def owner(cluster: Cluster) -> tuple[Citizen, list[str]]:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "느린사본의원")
    ids = []
    for n in (1, 2):
        body = record_body(RRN, NAME, BIRTH, inline(f"진료 기록 {n}".encode(), "text/plain"))
        response = vendor.put_record(transfer, f"slow-{n}", body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["record_id"])
    citizen = Citizen(cluster, NAME, RRN, phone="010-2626-0005")
    eventually(lambda: len(citizen.records()) == 2, what="the records in catalog")
    return citizen, ids


@contextmanager
def worker_stopped(cluster: Cluster) -> Iterator[StartWorker]:
    """issuance's worker stopped, so a copy asked for now stays pending; yields a function that
    starts it with failpoints. A plain worker runs again afterwards, however the block ends."""
    cluster.stop_process("issuance", "worker")

    def start(failpoints: str) -> Any:
        cluster.stop_process("issuance", "worker")
        return cluster.start_process("issuance", "worker", {"MEDREC_FAILPOINTS": failpoints})

    try:
        yield start
    finally:
        cluster.stop_process("issuance", "worker")
        cluster.start_process("issuance", "worker")


def issuance_row(cluster: Cluster, issuance_id: str) -> Any:
    (row,) = sql(
        cluster,
        "issuance",
        "SELECT status, render_claim, render_lease_until, render_failures, object_key "
        "FROM issuances WHERE issuance_id = $1",
        uuid.UUID(issuance_id),
    )
    return row


def rendering(cluster: Cluster, issuance_id: str) -> Any:
    row = issuance_row(cluster, issuance_id)
    return row if row["status"] == "rendering" else None


def copy_objects(cluster: Cluster, issuance_id: str) -> list[str]:
    assert cluster.infra is not None
    s3 = boto3.client(
        "s3",
        endpoint_url=cluster.infra.s3_url,
        aws_access_key_id=cluster.infra.s3_access_key,
        aws_secret_access_key=cluster.infra.s3_secret_key,
        region_name="us-east-1",
    )
    listed = s3.list_objects_v2(Bucket=COPIES, Prefix=f"copies/{issuance_id}")
    return [o["Key"] for o in listed.get("Contents", [])]


def announced(cluster: Cluster, issuance_id: str) -> list[str]:
    """The IssuanceReady and IssuanceFailed events issuance wrote for the copy."""
    rows = sql(
        cluster,
        "issuance",
        "SELECT envelope->>'type' AS type FROM outbox WHERE key = $1 "
        "AND envelope->>'type' IN ('IssuanceReady', 'IssuanceFailed')",
        issuance_id,
    )
    return [r["type"] for r in rows]


def test_no_transaction_of_issuance_is_open_while_a_copy_renders(
    cluster: Cluster, owner: tuple[Citizen, list[str]]
) -> None:
    citizen, record_ids = owner
    with worker_stopped(cluster) as start_worker:
        copy = citizen.request_copy(record_ids)
        issuance_id = copy["issuance_id"]
        start_worker(f"{POINT}={issuance_id}@{STALL_SECONDS}")
        claimed = eventually(lambda: rendering(cluster, issuance_id), what="the claim")
        # Clients read a copy being rendered as pending.
        shown = citizen.issuance.get(f"/v1/issuances/{issuance_id}").json()
        assert shown["status"] == "pending", shown
        eventually(lambda: copy_objects(cluster, issuance_id), what="the copy stored")

        claimed_at: datetime = claimed["render_lease_until"] - LEASE
        held = sql(
            cluster,
            "issuance",
            "SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND xact_start < $1",
            claimed_at,
        )
        assert held == [], held
        locked = sql(
            cluster,
            "issuance",
            "SELECT status FROM issuances WHERE issuance_id = $1 FOR UPDATE NOWAIT",
            uuid.UUID(issuance_id),
        )
        assert [r["status"] for r in locked] == ["rendering"]  # no lock held on it meanwhile
        assert issuance_row(cluster, issuance_id)["render_claim"] == claimed["render_claim"]

        ready = citizen.wait_ready(issuance_id)
    assert ready["pages"] and ready["sha256"]
    assert announced(cluster, issuance_id) == ["IssuanceReady"]
    row = issuance_row(cluster, issuance_id)
    assert row["render_claim"] is None and copy_objects(cluster, issuance_id) == [row["object_key"]]


def test_a_record_unlinked_while_its_copy_renders_fails_the_copy_and_nothing_is_issued(
    cluster: Cluster,
) -> None:
    name, birth, rrn = "설한결", "1958-02-14", "580214-1234563"
    operator = Operator(cluster)
    code = new_code()
    vendor = Depositor(cluster, *operator.register_client([code]))
    person = Citizen(cluster, name, rrn, phone="010-2626-0006")
    eventually(
        lambda: sql(cluster, "catalog", "SELECT 1 FROM linkage_persons WHERE person_id = $1::uuid",
                    person.person_id),
        what="catalog to know the person",
    )  # fmt: skip
    transfer = vendor.open_transfer(code, "종이차트의원")
    body = record_body(rrn, name, birth, inline(structured_medical("종이 차트"), STRUCTURED))
    body["patient"] = {"name": name, "birth_date": birth, "sex": "male"}  # no RRN: proposed
    stored = vendor.put_record(transfer, "paper-1", body)
    assert stored.status_code == 201, stored.text
    record_id = stored.json()["record_id"]
    admin = TwoPeople(cluster, "catalog")  # two reviewers: one proposes a link, one confirms

    def proposed() -> str | None:
        listed = admin.get("/v1/admin/linkage-candidates", params={"limit": "500"}).json()
        mine = [c for c in listed["items"] if c["record_id"] == record_id]
        return str(mine[0]["candidate_id"]) if mine else None

    candidate = eventually(proposed, what="the record proposed to the person")
    approved = admin.decide(f"/v1/admin/linkage-candidates/{candidate}/approve", "주소 확인")
    assert approved.status_code == 200, approved.text
    eventually(person.records, what="the record in the person's list")

    with worker_stopped(cluster) as start_worker:
        copy = person.request_copy([record_id])
        issuance_id = copy["issuance_id"]
        start_worker(f"{POINT}={issuance_id}@{STALL_SECONDS}")
        # Stored, its outcome not yet recorded: the record is unlinked now.
        eventually(lambda: copy_objects(cluster, issuance_id), what="the copy stored")
        unlinked = admin.post(f"/v1/admin/records/{record_id}/unlink", json={"reason": "다른 사람"})
        assert unlinked.status_code == 200, unlinked.text

        def failed() -> dict[str, Any] | None:
            body: dict[str, Any] = person.issuance.get(f"/v1/issuances/{issuance_id}").json()
            assert body["status"] != "ready", body  # never issued, not even for a moment
            return body if body["status"] == "failed" else None

        ended = eventually(failed, what="the copy failed by the unlink")
        assert "신청인의 기록이 아닌" in ended["failure_reason"]
        # What the citizen sees stays so once the render has ended (its claim with it), and
        # the copy it stored is gone.
        eventually(
            lambda: issuance_row(cluster, issuance_id)["render_claim"] is None,
            what="the render to end",
        )
    shown = person.issuance.get(f"/v1/issuances/{issuance_id}").json()
    assert shown["status"] == "failed", shown
    assert person.issuance.get(f"/v1/issuances/{issuance_id}/document").status_code == 409
    assert issuance_row(cluster, issuance_id)["object_key"] is None
    assert copy_objects(cluster, issuance_id) == []
    assert announced(cluster, issuance_id) == ["IssuanceFailed"]


def test_a_worker_killed_mid_render_leaves_a_copy_rendered_once_by_the_next(
    cluster: Cluster, owner: tuple[Citizen, list[str]]
) -> None:
    citizen, record_ids = owner
    with worker_stopped(cluster) as start_worker:
        copy = citizen.request_copy(record_ids)
        issuance_id = copy["issuance_id"]
        crashing = start_worker(f"{POINT}={issuance_id}")
        assert crashing.wait(120) == CRASH_EXIT_CODE
        # Died with the copy stored and its outcome not recorded: claimed, nothing issued.
        died = issuance_row(cluster, issuance_id)
        assert died["status"] == "rendering" and died["render_claim"] is not None
        assert len(copy_objects(cluster, issuance_id)) == 1
        assert announced(cluster, issuance_id) == []
        assert citizen.issuance.get(f"/v1/issuances/{issuance_id}").json()["status"] == "pending"

        # The claim stands while it could still be a live worker's; past its lease the next
        # worker takes it over.
        lease_ended: datetime = died["render_lease_until"]
        with clock_at(cluster, lease_ended + timedelta(seconds=1)):
            start_worker("")
            ready = citizen.wait_ready(issuance_id)
            document = citizen.issuance.get(f"/v1/issuances/{issuance_id}/document")
    assert document.status_code == 200, document.text
    assert document.content.startswith(b"%PDF")
    row = issuance_row(cluster, issuance_id)
    assert row["status"] == "ready" and row["render_failures"] == 1
    assert row["render_claim"] is None
    assert str(died["render_claim"]) not in row["object_key"]
    assert copy_objects(cluster, issuance_id) == [row["object_key"]]  # the dead claim's: deleted
    assert announced(cluster, issuance_id) == ["IssuanceReady"]
    assert ready["status"] == "ready" and ready["pages"]
