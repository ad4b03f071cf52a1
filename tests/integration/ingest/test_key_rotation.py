"""A content key rotation under a running ingest load, by the operator command: a new KEK added
and activated in the keyring file that two ingest replicas read, every record's keys re-wrapped
to it, the old KEK retired. No request fails and every record reads back the same throughout.

The replicas get a database of their own: the re-wrap moves every record it finds to a key the
shared cluster's ingest does not have."""

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.crypto import sealed_kek_id
from tests.support.actors import Depositor, Operator, bearer, eventually
from tests.support.builders import NAME, RRN, a_record, declared, inline, new_code
from tests.support.ingest import IngestStore
from tests.support.lab import Lab, service_lab
from tests.support.stack import new_database

OLD, NEW = "kek-local-1", "kek-rotation-2"  # the cluster's key, the one rotated to
DATABASE = "medrec_ingest_rotation"
BIN = Path(sys.executable).parent
MiB = 1024 * 1024


@dataclass
class Rotation:
    """The replicas and what the operator command needs: their database and keyring file."""

    lab: Lab
    env: dict[str, str]
    keys_file: Path
    store: IngestStore
    outputs: list[str] = field(default_factory=list)  # everything the command printed

    def keys(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = keys_command(self.env, *args)
        self.outputs.append(done.stdout + done.stderr)
        return done

    def status(self) -> dict[str, Any]:
        done = self.keys("status", "--json")
        assert done.returncode == 0, done.stderr
        keys: dict[str, Any] = json.loads(done.stdout)
        return keys

    def rows(self) -> list[dict[str, Any]]:
        return self.store.fetch(
            "SELECT external_id, record_id, kek_id, patient_sealed, object_key FROM records"
        )


def keys_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The operator command, as an operator runs it: a process of its own."""
    return subprocess.run(
        [str(BIN / "medrec-ingest-keys"), *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def rotation(cluster: Cluster) -> Iterator[Rotation]:
    url = new_database(cluster, DATABASE)
    keys_file = cluster.state / "rotation-keys.json"
    env = cluster.env("ingest") | {
        "MEDREC_INGEST_DATABASE_URL": url,
        "MEDREC_INGEST_CONTENT_KEYS_FILE": str(keys_file),
    }
    migrate = [str(BIN / "medrec-ingest-migrate")]
    subprocess.run(migrate, env=os.environ | env, check=True, capture_output=True, timeout=120)
    store = IngestStore(cluster)
    store.dsn = url.replace("+asyncpg", "")
    # The file starts with the cluster's keys (MEDREC_INGEST_CONTENT_KEYS), as a deployment
    # moving from that setting to a file would.
    created = keys_command(env, "init")
    assert created.returncode == 0, created.stderr
    extra = {k: v for k, v in env.items() if "DATABASE_URL" in k or "KEYS_FILE" in k}
    with service_lab(cluster, "ingest", "rotation", extra, replicas=2) as lab:
        yield Rotation(lab, env, keys_file, store, [created.stdout + created.stderr])


@dataclass(frozen=True)
class Deposited:
    external_id: str
    record_id: str
    content: bytes
    replica: int
    started: float  # time.monotonic() when its request was sent


class Load:
    """Depositors writing records to both replicas in turn, inline and every few streamed, each
    followed by reading back an earlier record; every failure is kept (ids and codes only)."""

    def __init__(self, cluster: Cluster, operator: Operator, lab: Lab) -> None:
        code = new_code()
        self.cluster = cluster
        self.client = operator.register_client([code])
        reader_id, reader_secret = cluster.provision_service_client("test", ["content:read"])
        reader_token = cluster.client_token(reader_id, reader_secret)
        self.urls = [lab.url(0), lab.url(1)]
        self.readers = [
            httpx.Client(base_url=url, headers=bearer(reader_token), timeout=60)
            for url in self.urls
        ]
        self.transfer_id = self.depositor(0).open_transfer(code, "키교체의원")
        self.deposited: list[Deposited] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.last_started: dict[str, float] = {}  # per worker: its last finished deposit's start

    def depositor(self, replica: int) -> Depositor:
        """A depositor talking to one replica rather than the cluster's ingest."""
        client = Depositor(self.cluster, *self.client)
        client.base_url = self.urls[replica]
        client.ingest = httpx.Client(
            base_url=self.urls[replica], headers=bearer(client.token), timeout=60
        )
        return client

    def deposit(
        self, depositors: list[Depositor], external_id: str, n: int, streamed: bool
    ) -> None:
        replica = n % 2
        client = depositors[replica]
        note = f"{external_id} 경과기록 {uuid.uuid4()}\n".encode()
        started = time.monotonic()
        try:
            if streamed:
                content = note * (MiB // len(note) + 1)  # a few hundred KiB to a MiB
                response = client.put_record(
                    self.transfer_id, external_id, a_record(content=declared(content, "text/plain"))
                )
                if response.status_code == 201:
                    response = client.put_content(
                        self.transfer_id, external_id, content, "text/plain"
                    )
            else:
                content = note
                response = client.put_record(
                    self.transfer_id, external_id, a_record(content=inline(content, "text/plain"))
                )
        except httpx.HTTPError as error:
            self.fail(f"deposit {external_id}: {type(error).__name__}")
            return
        if response.status_code != 201 or response.json()["status"] != "stored":
            self.fail(f"deposit {external_id}: {response.status_code}")
            return
        done = Deposited(external_id, response.json()["record_id"], content, replica, started)
        with self.lock:
            self.deposited.append(done)
            earlier = random.choice(self.deposited)
        self.read_back(earlier, replica)

    def read_back(self, record: Deposited, replica: int) -> None:
        try:
            got = self.readers[replica].get(
                f"/internal/v1/records/{record.record_id}/content",
                params={"purpose": "certified_copy"},
            )
        except httpx.HTTPError as error:
            self.fail(f"read {record.external_id}: {type(error).__name__}")
            return
        if got.status_code != 200 or got.content != record.content:
            self.fail(f"read {record.external_id} from replica {replica}: {got.status_code}")

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def work(self, worker: str, streamed_every: int) -> None:
        depositors = [self.depositor(0), self.depositor(1)]
        n = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            streamed = streamed_every > 0 and n % streamed_every == streamed_every - 1
            self.deposit(depositors, f"{worker}-{n}", n, streamed)
            with self.lock:
                self.last_started[worker] = started
            n += 1

    def start(self) -> None:
        for worker, streamed_every in (("inline", 0), ("mixed", 4)):
            thread = threading.Thread(target=self.work, args=(worker, streamed_every))
            self.threads.append(thread)
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def all_begun_after(self, instant: float) -> bool:
        """Every worker has finished a deposit it began after `instant`."""
        with self.lock:
            return len(self.last_started) == len(self.threads) and all(
                started > instant for started in self.last_started.values()
            )

    def records(self) -> list[Deposited]:
        with self.lock:
            return list(self.deposited)


def keys_of(row: dict[str, Any]) -> tuple[str, str]:
    """The KEKs a record depends on: its content's data key, its sealed patient field."""
    return row["kek_id"], sealed_kek_id(row["patient_sealed"])


def test_a_key_rotation_under_load_fails_no_request_and_keeps_every_record_readable(
    cluster: Cluster, operator: Operator, rotation: Rotation
) -> None:
    old_key = cluster.secrets.ingest_content_keys.partition(":")[2]
    load = Load(cluster, operator, rotation.lab)
    before = load.depositor(0), load.depositor(1)
    for n in range(12):
        load.deposit(list(before), f"before-{n}", n, streamed=n % 4 == 3)
    assert load.failures == []
    assert {keys_of(row) for row in rotation.rows()} == {(OLD, OLD)}
    assert rotation.status()["keys"][OLD] == {"state": "active", "data_keys": 12,
                                              "patient_fields": 12}  # fmt: skip
    refused = rotation.keys("retire", OLD)
    assert refused.returncode != 0 and "is the active KEK" in refused.stderr, refused.stderr

    load.start()
    try:
        added = rotation.keys("add", NEW)
        assert added.returncode == 0, added.stderr
        assert rotation.status()["keys"][NEW] == {"state": "standby", "data_keys": 0,
                                                  "patient_fields": 0}  # fmt: skip
        activated = rotation.keys("activate", NEW)
        assert activated.returncode == 0, activated.stderr

        # Both replicas picked the key up with no restart: each has stored records under it.
        def replicas_on_new() -> bool:
            on_new = {row["external_id"] for row in rotation.rows() if keys_of(row) == (NEW, NEW)}
            return {d.replica for d in load.records() if d.external_id in on_new} == {0, 1}

        eventually(replicas_on_new, timeout=60, what="both replicas to wrap with the new KEK")
        switched = time.monotonic()
        # Deposits begun before that may still have held keys under the old KEK: wait them out.
        eventually(lambda: load.all_begun_after(switched), timeout=60, what="the load to move on")

        refused = rotation.keys("retire", OLD)
        assert refused.returncode != 0 and f"still depend on {OLD}" in refused.stderr
        assert OLD in json.loads(rotation.keys_file.read_text())["keys"]
        # The answered deposits first, then the rows: a deposit answered between the two reads
        # is then in both (its row was committed before its answer).
        since = [d for d in load.records() if d.started > switched]
        rows = {row["external_id"]: row for row in rotation.rows()}
        assert since and all(keys_of(rows[d.external_id]) == (NEW, NEW) for d in since)
        on_old = {e: r for e, r in rows.items() if OLD in keys_of(r)}
        assert {f"before-{n}" for n in range(12)} <= set(on_old)
        objects = {
            r["object_key"]: store_digest(rotation, r["object_key"]) for r in on_old.values()
        }

        rewrapped = rotation.keys("rewrap", "--batch-size", "7")  # several batches
        assert rewrapped.returncode == 0, rewrapped.stdout + rewrapped.stderr
        data_keys = sum(keys_of(row)[0] == OLD for row in on_old.values())
        patient_fields = sum(keys_of(row)[1] == OLD for row in on_old.values())
        assert f"{data_keys} data keys, {patient_fields} patient fields" in rewrapped.stdout
        status = rotation.status()
        assert status["active"] == NEW
        assert status["keys"][OLD] == {"state": "standby", "data_keys": 0, "patient_fields": 0}
        again = rotation.keys("rewrap")
        assert again.returncode == 0 and "0 data keys, 0 patient fields" in again.stdout

        retired = rotation.keys("retire", OLD)
        assert retired.returncode == 0, retired.stderr
        retired_at = time.monotonic()
        eventually(lambda: load.all_begun_after(retired_at), timeout=60, what="load after retire")
        eventually(lambda: len(load.records()) > len(rows) + 10, timeout=60, what="more load")
    finally:
        load.stop()

    assert load.failures == []
    deposited = load.records()
    phases = {"before": 0, "during": 0, "after": 0}
    for d in deposited:
        phase = "before" if d.external_id.startswith("before") else "during"
        phases["after" if d.started > retired_at else phase] += 1
    assert min(phases.values()) > 0, phases
    rows = {row["external_id"]: row for row in rotation.rows()}
    assert set(rows) == {d.external_id for d in deposited}
    assert {keys_of(row) for row in rows.values()} == {(NEW, NEW)}, "the old KEK is not used"
    assert {key: store_digest(rotation, key) for key in objects} == objects, "content untouched"
    for n, record in enumerate(deposited):  # each through one replica or the other
        load.read_back(record, n % 2)
    assert load.failures == []

    status = rotation.status()
    assert OLD not in status["keys"]
    assert status["keys"][NEW]["data_keys"] == status["keys"][NEW]["patient_fields"] == len(rows)
    assert OLD not in json.loads(rotation.keys_file.read_text())["keys"]
    printed = "\n".join([*rotation.outputs, rotation.lab.log_text()])
    new_key = json.loads(rotation.keys_file.read_text())["keys"][NEW]
    for secret in (RRN, NAME, old_key, new_key):
        assert secret not in printed


def store_digest(rotation: Rotation, object_key: str) -> str:
    return hashlib.sha256(rotation.store.object_bytes(object_key)).hexdigest()
