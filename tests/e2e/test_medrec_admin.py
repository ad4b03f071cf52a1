"""`medrec-admin` as an operator runs it, a process of its own with the machine account
(MEDREC_IDENTITY_ADMIN_CLIENT_ID, its secret in a file): an institution client registered (its
secret printed once, and working), listed, revoked (its secret no longer works); the dead letters
of every consuming service as JSON; a key re-wrap run in ingest and followed to its end, with
progress lines along the way, every record then under the new key and the job's start announced
as a StaffActed naming the machine account.

The re-wrap runs on an ingest of its own (its own database and keyring file, as the rotation
test does): it moves every record it finds to a key the shared cluster's ingest does not have."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.crypto import sealed_kek_id
from tests.support.actors import bearer, eventually
from tests.support.builders import a_record, batch_line, new_code
from tests.support.ingest import IngestStore
from tests.support.lab import Lab, service_lab
from tests.support.stack import new_database

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ADMIN = str(BIN / "medrec-admin")
OLD, NEW = "kek-local-1", "kek-admin-2"
DATABASE = "medrec_ingest_admin_jobs"
RECORDS = 60
PROGRESS = re.compile(r"key_rewrap \S+: (running|completed), (\d+)/(\d+) rows")


@dataclass
class Machine:
    """The machine account as medrec-admin is given it: the id in the environment, the secret
    in a file only its owner reads."""

    cluster: Cluster
    env: dict[str, str]
    secret_file: Path

    def run(self, *args: str, ingest_url: str | None = None) -> subprocess.CompletedProcess[str]:
        urls = ["--identity-url", self.cluster.url("identity"),
                "--ingest-url", ingest_url or self.cluster.url("ingest"),
                "--catalog-url", self.cluster.url("catalog"),
                "--issuance-url", self.cluster.url("issuance")]  # fmt: skip
        return subprocess.run(
            [ADMIN, "--client-secret-file", str(self.secret_file), *urls, *args],
            env=os.environ | self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def json(self, *args: str, ingest_url: str | None = None) -> Any:
        done = self.run(*args, "--json", ingest_url=ingest_url)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def machine(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Machine:
    secret_file = tmp_path_factory.mktemp("machine") / "secret"
    secret_file.write_text(cluster.secrets.admin_client_secret + "\n")
    secret_file.chmod(0o600)
    env = {"MEDREC_CLIENT_ID": cluster.secrets.admin_client_id}
    env |= {"MEDREC_CLIENT_SECRET": ""}  # never read from the caller's environment here
    return Machine(cluster, env, secret_file)


def token_answer(cluster: Cluster, client_id: str, secret: str) -> int:
    response = httpx.post(
        f"{cluster.url('identity')}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=30,
    )
    return response.status_code


def test_an_institution_client_is_registered_listed_and_revoked(
    cluster: Cluster, machine: Machine
) -> None:
    code = new_code()
    shown = machine.run("clients", "register", "--name", "새봄 EMR", "--institution", code)
    assert shown.returncode == 0, shown.stderr
    secret = re.search(r"^client_secret=(\S+)$", shown.stdout, re.MULTILINE)
    assert secret is not None, shown.stdout
    listed = machine.json("clients", "list")
    mine = [c for c in listed["items"] if code in c["institution_codes"]]
    assert len(mine) == 1 and mine[0]["scopes"] == ["transfer:write"]
    assert all("client_secret" not in c for c in listed["items"])  # shown once, never again
    client_id_value = mine[0]["client_id"]
    assert client_id_value in shown.stdout  # the table names the client registered
    assert token_answer(cluster, client_id_value, secret[1]) == 200

    revoked = machine.run("clients", "revoke", client_id_value)
    assert revoked.returncode == 0, revoked.stderr
    assert token_answer(cluster, client_id_value, secret[1]) == 401
    assert code not in json.dumps(machine.json("clients", "list"))

    # An institution's client may not act as the machine: refused, exit 2, the problem printed.
    registered = machine.json("clients", "register", "--name", "다른 EMR", "--institution", code)
    other = Machine(
        cluster, {"MEDREC_CLIENT_ID": registered["client_id"]}, machine.secret_file.parent / "o"
    )
    other.secret_file.write_text(registered["client_secret"])
    refused = other.run("clients", "list")
    assert refused.returncode == 2 and "403" in refused.stderr, refused.stderr


def test_dead_letters_of_every_consuming_service_as_json(machine: Machine) -> None:
    found = machine.json("dead-letters", "list")
    assert set(found) == {"ingest", "catalog", "issuance"}
    for page in found.values():
        assert isinstance(page["items"], list) and "next_cursor" in page
    table = machine.run("dead-letters", "list", "--service", "catalog")
    assert table.returncode == 0 and "consumer" in table.stdout, table.stderr


def test_the_machine_accounts_other_acts_each_answer(machine: Machine) -> None:
    """Each command reaches its route with the machine account's scopes (MACHINE_SCOPES)."""
    assert "records" in machine.json("stats")
    assert "due" in machine.json("retention", "sweep")
    assert "destroyed" in machine.json("releases", "sweep")
    assert {"compacted", "deleted"} <= set(machine.json("segments", "sweep"))
    assert isinstance(machine.json("transfers", "--limit", "5")["items"], list)
    assert isinstance(machine.json("destructions", "--institution", new_code())["items"], list)
    table = machine.run("stats")
    assert table.returncode == 0 and "records" in table.stdout, table.stderr


@dataclass
class Apart:
    """An ingest of its own: its database and the keyring file it re-reads."""

    lab: Lab
    env: dict[str, str]
    keys_file: Path
    store: IngestStore

    def keys(self, *args: str) -> None:
        done = subprocess.run(
            [str(BIN / "medrec-ingest-keys"), *args],
            env=os.environ | self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    def under(self) -> set[tuple[str, str]]:
        rows = self.store.fetch("SELECT kek_id, patient_sealed FROM records")
        return {(row["kek_id"], sealed_kek_id(row["patient_sealed"])) for row in rows}


@pytest.fixture(scope="module")
def apart(cluster: Cluster) -> Iterator[Apart]:
    url = new_database(cluster, DATABASE)
    keys_file = cluster.state / "admin-jobs-keys.json"
    env = cluster.env("ingest") | {
        "MEDREC_INGEST_DATABASE_URL": url,
        "MEDREC_INGEST_CONTENT_KEYS_FILE": str(keys_file),
    }
    migrate = [str(BIN / "medrec-ingest-migrate")]
    subprocess.run(migrate, env=os.environ | env, check=True, capture_output=True, timeout=120)
    store = IngestStore(cluster)
    store.dsn = url.replace("+asyncpg", "")
    extra = {k: v for k, v in env.items() if "DATABASE_URL" in k or "KEYS_FILE" in k}
    keys = subprocess.run(
        [str(BIN / "medrec-ingest-keys"), "init"],  # the cluster's key, as a deployment
        env=os.environ | env, capture_output=True, text=True, timeout=120,  # moving to a file
    )  # fmt: skip
    assert keys.returncode == 0, keys.stderr
    with service_lab(cluster, "ingest", "admin-jobs", extra) as lab:
        yield Apart(lab, env, keys_file, store)


def test_a_key_rewrap_runs_in_ingest_and_is_followed_to_its_end(
    cluster: Cluster, machine: Machine, apart: Apart
) -> None:
    code = new_code()
    registered = machine.json(
        "clients", "register", "--name", "재암호화 EMR", "--institution", code
    )
    token = cluster.client_token(registered["client_id"], registered["client_secret"])
    with httpx.Client(base_url=apart.lab.url(0), headers=bearer(token), timeout=120) as ingest:
        opened = ingest.post("/v1/transfers", json={
            "institution": {"code": code, "name": "재암호화의원", "type": "의원",
                            "address": "서울특별시 중구 세종대로 110", "region": "서울"},
            "reason": "closure", "effective_date": "2026-01-31",
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        lines = b"".join(
            json.dumps(batch_line(f"rw-{n}", a_record())).encode() + b"\n" for n in range(RECORDS)
        )
        stored = ingest.post(
            f"/v1/transfers/{opened.json()['transfer_id']}/records:batch",
            content=lines,
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert stored.status_code == 200, stored.text
    assert apart.under() == {(OLD, OLD)}

    apart.keys("add", NEW)
    apart.keys("activate", NEW)

    # The service re-reads its keyring file within a second or so: a job started before it
    # has counted nothing to move (and moved nothing); the next one moves every record.
    def rewrapped() -> tuple[subprocess.CompletedProcess[str], list[tuple[str, int, int]]] | None:
        done = machine.run("keys", "rewrap", "--batch-size", "5", ingest_url=apart.lab.url(0))
        assert done.returncode == 0, done.stdout + done.stderr
        seen = [(m[1], int(m[2]), int(m[3])) for m in PROGRESS.finditer(done.stderr)]
        return (done, seen) if seen and seen[-1][2] == RECORDS else None

    done, seen = eventually(rewrapped, timeout=60, what="a re-wrap under the new key")
    assert seen[-1] == ("completed", RECORDS, RECORDS), done.stderr
    # Lines while it ran (a log's view: plain lines, stderr is no terminal), never going back.
    assert seen[0][0] == "running" and seen[0][1] < RECORDS, done.stderr
    assert [n for _, n, _ in seen] == sorted(n for _, n, _ in seen), done.stderr
    assert apart.under() == {(NEW, NEW)}

    jobs = machine.json("keys", "jobs", ingest_url=apart.lab.url(0))["items"]
    assert jobs[0]["status"] == "completed" and jobs[0]["done"] == jobs[0]["total"] == RECORDS
    assert jobs[0]["started_by"] == cluster.secrets.admin_client_id
    assert jobs[0]["result"]["data_keys"] == RECORDS
    announced = apart.store.fetch(
        "SELECT key, envelope FROM outbox WHERE envelope->>'type' = 'StaffActed'"
    )
    acts = [json.loads(r["envelope"]) if isinstance(r["envelope"], str) else r["envelope"]
            for r in announced]  # fmt: skip
    started = [a["data"] for a in acts if a["data"]["resource_id"] == jobs[0]["job_id"]]
    assert [(a["act"], a["actor"], a["actor_kind"]) for a in started] == [
        ("key_job.start", cluster.secrets.admin_client_id, "machine")
    ]


def test_the_linkage_backfill_runs_in_ingest_too(
    cluster: Cluster, machine: Machine, apart: Apart
) -> None:
    """A record deposited without an RRN, its match key gone as before linkage: the backfill,
    started over the admin API, gives it back and announces it."""
    code = new_code()
    registered = machine.json("clients", "register", "--name", "연계 EMR", "--institution", code)
    token = cluster.client_token(registered["client_id"], registered["client_secret"])
    record = a_record() | {"patient": {"name": "노을빛", "birth_date": "1958-08-21",
                                       "sex": "female"}}  # fmt: skip
    with httpx.Client(base_url=apart.lab.url(0), headers=bearer(token), timeout=120) as ingest:
        opened = ingest.post("/v1/transfers", json={
            "institution": {"code": code, "name": "연계의원", "type": "의원",
                            "address": "광주광역시 동구 금남로 4", "region": "광주"},
            "reason": "closure", "effective_date": "2026-01-31",
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        put = ingest.put(f"/v1/transfers/{opened.json()['transfer_id']}/records/old-1", json=record)
        assert put.status_code == 201, put.text
    record_id = put.json()["record_id"]
    apart.store.fetch("UPDATE records SET match_key = NULL WHERE record_id = $1::uuid", record_id)

    done = machine.run("linkage", "backfill", ingest_url=apart.lab.url(0))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"linkage_backfill \S+: completed, 1/1 rows", done.stderr), done.stderr
    (row,) = apart.store.fetch(
        "SELECT match_key FROM records WHERE record_id = $1::uuid", record_id
    )
    assert row["match_key"]
    announced = apart.store.fetch(
        "SELECT key FROM outbox WHERE envelope->>'type' = 'RecordMatchKeyAssigned'"
    )
    assert [r["key"] for r in announced] == [record_id]
    assert "노을빛" not in done.stdout + done.stderr  # counts only, never a name
    (job,) = machine.json("linkage", "jobs", ingest_url=apart.lab.url(0))["items"]
    assert job["result"]["keyed"] == job["result"]["announced"] == 1
