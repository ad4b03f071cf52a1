"""A batch group's records in one segment object: each read back alone by its span; a record
destroyed is unreadable at once (its row and data key gone); a mostly dead segment is compacted
into a new one and the old one deleted; a segment nothing points into is deleted. A worker that
dies in the middle of a compaction loses nothing, and the next run finishes it. An object no row
points at (a crash between a deposit's store and its commit) is deleted once older than its
grace."""

import base64
import hashlib
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.failpoints import CRASH_EXIT_CODE
from tests.support.actors import Depositor, Operator, eventually, service_client
from tests.support.builders import batch_line, inline, record_body
from tests.support.ingest import BUCKET, IngestStore, settled, sweep
from tests.support.stack import sql
from tests.support.staff import staff_on

CODE = "94000002"
RRN, NAME, BIRTH = "720304-1234567", "한분절", "1972-03-04"


@pytest.fixture(scope="module")
def vendor(cluster: Cluster, operator: Operator) -> Depositor:
    return Depositor(cluster, *operator.register_client([CODE]))


@pytest.fixture(scope="module")
def reader(cluster: Cluster, operator: Operator) -> httpx.Client:
    """Issuance's view: the internal content API with a content:read token."""
    return service_client(cluster, operator, "ingest", ["content:read"])


@pytest.fixture(scope="module")
def ingest_admin(cluster: Cluster) -> httpx.Client:
    return staff_on(cluster, "ingest", "platform", prefix="platform")


@pytest.fixture(scope="module")
def catalog_admin(cluster: Cluster) -> httpx.Client:
    return staff_on(cluster, "catalog", "platform", prefix="platform")


def _prescription(n: int, size: int) -> dict[str, Any]:
    """Of 2015: kept two years, long past, so expired on arrival and destroyed by the sweep."""
    content = inline(f"처방 {n} ".encode() * (size // 9), "text/plain")
    return record_body(RRN, NAME, BIRTH, content, kind="prescription",
                       service_start="2015-05-01", service_end="2015-05-02")  # fmt: skip


def _kept(text: str) -> dict[str, Any]:
    return record_body(RRN, NAME, BIRTH, inline(text.encode(), "text/plain"))


def _read(reader: httpx.Client, record_id: Any) -> httpx.Response:
    return reader.get(
        f"/internal/v1/records/{record_id}/content", params={"purpose": "certified_copy"}
    )


def _tidy(ingest_admin: httpx.Client) -> dict[str, int]:
    tidied = ingest_admin.post("/v1/admin/segments/sweep")
    assert tidied.status_code == 200, tidied.text
    counts: dict[str, int] = tidied.json()
    return counts


def _destroy_past_retention(
    cluster: Cluster, store: IngestStore, catalog_admin: httpx.Client, ids: list[Any]
) -> None:
    """Destroys these records (past their period) as the service does: catalog's retention
    sweep announces them due, and ingest destroys them."""
    eventually(
        lambda: len(sql(cluster, "catalog", "SELECT 1 FROM records WHERE record_id = ANY($1)",
                        ids)) == len(ids),
        what="catalog to hold the records",
    )  # fmt: skip
    assert sweep(catalog_admin) >= len(ids)
    eventually(
        lambda: not store.fetch("SELECT 1 FROM records WHERE record_id = ANY($1)", ids),
        what="ingest to destroy them",
    )


@dataclass
class Sparse:
    transfer_id: str
    kept: dict[str, Any]  # the live record's row
    kept_text: str
    segment: str  # the segment it shares with destroyed records


def _sparse_segment(
    cluster: Cluster,
    vendor: Depositor,
    store: IngestStore,
    catalog_admin: httpx.Client,
    reader: httpx.Client,
    tag: str,
) -> Sparse:
    """A segment of one kept record (small) and two destroyed ones (large): mostly dead."""
    sweep(catalog_admin)  # whatever other tests left past its period goes first
    settled(cluster)
    transfer = vendor.open_transfer(CODE, "분절약국")
    kept_text = f"{tag}: 경과 양호, 다음 진료 없음"
    answers = vendor.batch(transfer, [
        batch_line(f"{tag}-rx-1", _prescription(1, 3000)),
        batch_line(f"{tag}-kept", _kept(kept_text)),
        batch_line(f"{tag}-rx-2", _prescription(2, 3000)),
    ])  # fmt: skip
    assert [a["status"] for a in answers] == ["created"] * 3
    rows = {r["external_id"]: r for r in store.records(transfer)}
    (segment,) = {r["object_key"] for r in rows.values()}
    expired = [rows[f"{tag}-rx-{n}"]["record_id"] for n in (1, 2)]
    _destroy_past_retention(cluster, store, catalog_admin, expired)
    assert [r["external_id"] for r in store.records(transfer)] == [f"{tag}-kept"]
    for record_id in expired:  # unreadable at once: the row and its data key are gone
        assert _read(reader, record_id).status_code == 404
    assert store.present({segment}) == {segment}  # the kept record is still in it
    return Sparse(transfer, rows[f"{tag}-kept"], kept_text, segment)


def _reads_back(reader: httpx.Client, sparse: Sparse) -> None:
    got = _read(reader, sparse.kept["record_id"])
    assert got.status_code == 200 and got.content == sparse.kept_text.encode()
    digest = base64.b64encode(hashlib.sha256(got.content).digest()).decode()
    assert got.headers["content-digest"] == f"sha-256=:{digest}:"


def test_a_groups_records_share_one_segment_and_each_reads_back_alone(
    vendor: Depositor, store: IngestStore, reader: httpx.Client
) -> None:
    transfer = vendor.open_transfer(CODE, "분절의원")
    contents = [f"기록 {n}: {'가나다' * n}".encode() for n in range(1, 6)]
    objects = store.objects()
    answers = vendor.batch(transfer, [
        batch_line(f"seg-{n}", _kept(content.decode())) for n, content in enumerate(contents)
    ])  # fmt: skip
    assert [a["status"] for a in answers] == ["created"] * 5
    rows = store.records(transfer)
    (segment,) = {r["object_key"] for r in rows}
    assert segment.startswith("segments/")
    assert store.new_objects(objects) == {segment}
    spans = sorted((r["content_offset"], r["content_length"]) for r in rows)
    assert all(a[0] + a[1] <= b[0] for a, b in itertools.pairwise(spans))
    stored = store.object_bytes(segment)
    assert len(stored) == sum(length for _, length in spans)
    assert not any(content in stored for content in contents)  # encrypted, each under its key
    for row, content in zip(sorted(rows, key=lambda r: r["external_id"]), contents, strict=True):
        assert _read(reader, row["record_id"]).content == content


def test_a_mostly_destroyed_segment_is_compacted_and_an_empty_one_deleted(
    cluster: Cluster,
    vendor: Depositor,
    store: IngestStore,
    catalog_admin: httpx.Client,
    reader: httpx.Client,
    ingest_admin: httpx.Client,
) -> None:
    sparse = _sparse_segment(cluster, vendor, store, catalog_admin, reader, "compact")
    # And a segment whose records all go.
    gone = vendor.open_transfer(CODE, "폐기약국")
    answers = vendor.batch(gone, [batch_line(f"gone-{n}", _prescription(n, 500)) for n in (1, 2)])
    assert [a["status"] for a in answers] == ["created"] * 2
    (empty,) = {r["object_key"] for r in store.records(gone)}
    _destroy_past_retention(
        cluster, store, catalog_admin, [r["record_id"] for r in store.records(gone)]
    )
    assert store.records(gone) == []
    assert store.present({empty}) == {empty}  # shredded, not yet swept

    tidied = _tidy(ingest_admin)
    assert tidied["compacted"] >= 1 and tidied["deleted"] >= 2  # the sparse one and the empty one
    (kept,) = store.records(sparse.transfer_id)
    assert kept["object_key"] not in (sparse.segment, empty)
    assert (kept["content_offset"], kept["content_length"]) == (0, sparse.kept["content_length"])
    assert kept["wrapped_dek"] == sparse.kept["wrapped_dek"]  # moved as it was, not re-encrypted
    assert store.present({sparse.segment, empty}) == set()
    assert len(store.object_bytes(kept["object_key"])) == kept["content_length"]
    segments = {r["object_key"] for r in store.fetch("SELECT object_key FROM segments")}
    assert kept["object_key"] in segments and not {sparse.segment, empty} & segments
    _reads_back(reader, sparse)


def test_a_worker_killed_in_the_middle_of_a_compaction_loses_nothing(
    cluster: Cluster,
    vendor: Depositor,
    store: IngestStore,
    catalog_admin: httpx.Client,
    reader: httpx.Client,
) -> None:
    sparse = _sparse_segment(cluster, vendor, store, catalog_admin, reader, "crash")
    before = {r["object_key"] for r in store.fetch("SELECT object_key FROM segments")}
    cluster.stop_process("ingest", "worker")
    try:
        # The worker compacts when it starts: this one dies after writing the new segment,
        # before pointing the record at it.
        crashing = cluster.start_process(
            "ingest", "worker", {"MEDREC_FAILPOINTS": "ingest.segments.after_repack"}
        )
        assert crashing.wait(120) == CRASH_EXIT_CODE
        (row,) = store.records(sparse.transfer_id)
        assert row["object_key"] == sparse.segment  # not moved
        _reads_back(reader, sparse)
        reserved = {
            r["object_key"] for r in store.fetch("SELECT object_key FROM segments")
        } - before
        assert len(reserved) == 1  # the new segment's row, empty
    finally:
        cluster.start_process("ingest", "worker")

    def finished() -> bool:
        (row,) = store.records(sparse.transfer_id)
        return bool(row["object_key"] not in (sparse.segment, *reserved))

    eventually(finished, what="the restarted worker to compact the segment again")
    eventually(lambda: store.present({sparse.segment, *reserved}) == set(),
               what="the old segment and the abandoned one to be deleted")  # fmt: skip
    _reads_back(reader, sparse)


def test_an_object_no_row_points_at_is_swept_once_older_than_its_grace(
    cluster: Cluster, vendor: Depositor, store: IngestStore, ingest_admin: httpx.Client
) -> None:
    # What a crash between a deposit's store and its commit leaves: objects named as deposits
    # name them (an inline record's, a streamed upload's, a batch group's), no row for any.
    orphans = {f"records/{uuid.uuid4()}", f"records/{uuid.uuid4()}/{uuid.uuid4()}",
               f"segments/{uuid.uuid4()}"}  # fmt: skip
    unknown = "records/not-a-record-id"  # a shape deposits never make: left alone
    for key in (*orphans, unknown):
        store.s3.put_object(Bucket=BUCKET, Key=key, Body=b"ciphertext")
    transfer = vendor.open_transfer(CODE, "고아없는의원")
    assert vendor.put_record(transfer, "kept-1", _kept("남는 기록")).status_code == 201
    answers = vendor.batch(transfer, [batch_line("kept-2", _kept("남는 묶음"))])
    assert answers[0]["status"] == "created"
    pointed = {r["object_key"] for r in store.records(transfer)}

    # Young, they may be a deposit in flight: the sweep (with its day of grace) keeps them.
    assert "orphans" in _tidy(ingest_admin)
    assert store.present(orphans) == orphans
    cluster.stop_process("ingest", "worker")
    try:
        # A worker whose sweep takes an object for an orphan two seconds after it was written.
        cluster.start_process(
            "ingest",
            "worker",
            {"MEDREC_INGEST_ORPHAN_GRACE_SECONDS": "2", "MEDREC_INGEST_SEGMENT_SWEEP_SECONDS": "1"},
        )
        eventually(lambda: not store.present(orphans), what="the orphans to be swept")
        assert store.present({*pointed, unknown}) == {*pointed, unknown}
    finally:
        cluster.stop_process("ingest", "worker")
        cluster.start_process("ingest", "worker")
        store.s3.delete_object(Bucket=BUCKET, Key=unknown)
