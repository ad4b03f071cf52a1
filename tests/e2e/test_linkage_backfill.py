"""Records deposited without an RRN before match keys existed reach their owner too (issue #14):
`medrec-ingest-linkage backfill` gives them their key and catalog proposes them to the persons
who verified already. Killed between two batches, a rerun finishes; a second run does nothing;
the command prints counts, never a name, a birth date or an RRN.

An old record is made as the change found them: deposited (one stored, one declared and still
awaiting its content), then its match key cleared in ingest and, for the stored one, in catalog,
before the person verifies, so catalog holds no candidate for it."""

import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.failpoints import CRASH_EXIT_CODE
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import declared, inline, structured_medical
from tests.support.stack import sql
from tests.support.staff import StaffClient, staff_on

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
CODE = "71400002"
CHART_NAME = "로 을빛"  # the surname with its initial ㄹ, as the old chart wrote it
NAME, BIRTH, OTHER_BIRTH = "노을빛", "1958-08-21", "1958-08-22"
RRN_A, RRN_C = "580821-2345678", "580822-2456789"
CONTENT_TYPE = "application/vnd.medrec.record+json"
COUNTS = re.compile(r"match keys given: (\d+) \((\d+) announced")


@dataclass
class Old:
    """Two records of A's deposited before match keys: `stored`, and `waiting` for its content."""

    cluster: Cluster
    vendor: Depositor
    transfer: str
    stored: str
    waiting: str
    waiting_content: bytes
    a: Citizen  # verified after the records, before the backfill; their name and birth date
    c: Citizen  # the same name, born a day later
    admin: StaffClient  # a reviewer, on catalog
    outputs: list[str] = field(default_factory=list)  # everything the command printed

    def backfill(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, int, int]:
        """Runs the command as an operator would; (exit code, keys given, announced)."""
        done = subprocess.run(
            [str(BIN / "medrec-ingest-linkage"), "backfill", *args],
            env=os.environ | self.cluster.env("ingest") | (env or {}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.outputs.append(done.stdout + done.stderr)
        found = COUNTS.search(done.stdout)
        if found is None:
            assert done.returncode == CRASH_EXIT_CODE, done.stdout + done.stderr
            return done.returncode, 0, 0
        return done.returncode, int(found[1]), int(found[2])


def body(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "patient": {"name": CHART_NAME, "birth_date": BIRTH, "sex": "female"},
        "kind": "medical_record",
        "specialty": "medical",
        "title": "외래 진료기록 (종이)",
        "service_start": "2018-04-02",
        "service_end": "2018-04-09",
        "content": content,
    }


def keyed(cluster: Cluster, *record_ids: str) -> int:
    """How many of the records ingest holds with a match key."""
    query = (
        "SELECT count(*) AS n FROM records"
        " WHERE record_id = ANY($1::uuid[]) AND match_key IS NOT NULL"
    )
    rows = sql(cluster, "ingest", query, list(record_ids))
    return int(rows[0]["n"])


def assignments(cluster: Cluster) -> int:
    """RecordMatchKeyAssigned events ingest has written to its outbox."""
    rows = sql(cluster, "ingest", "SELECT count(*) AS n FROM outbox "
               "WHERE envelope->>'type' = 'RecordMatchKeyAssigned'")  # fmt: skip
    return int(rows[0]["n"])


def candidates(admin: StaffClient, record_id: str) -> list[dict[str, Any]]:
    response = admin.get("/v1/admin/linkage-candidates", params={"limit": "500"})
    assert response.status_code == 200, response.text
    return [c for c in response.json()["items"] if c["record_id"] == record_id]


def catalog_holds(cluster: Cluster, record_id: str) -> bool:
    return bool(sql(cluster, "catalog", "SELECT 1 FROM records WHERE record_id = $1::uuid",
                    record_id))  # fmt: skip


def catalog_knows(cluster: Cluster, person_id: str) -> bool:
    """catalog has handled the person's PersonVerified."""
    return bool(sql(cluster, "catalog", "SELECT 1 FROM linkage_persons WHERE person_id = $1::uuid",
                    person_id))  # fmt: skip


@pytest.fixture(scope="module")
def old(cluster: Cluster) -> Old:
    operator = Operator(cluster)
    vendor = Depositor(cluster, *operator.register_client([CODE]))
    transfer = vendor.open_transfer(CODE, "옛마을의원")
    stored = vendor.put_record(transfer, "paper-1", body(inline(structured_medical("옛 차트"),
                                                               CONTENT_TYPE)))  # fmt: skip
    assert stored.status_code == 201, stored.text
    content = structured_medical("옛 차트, 뒷장")
    waiting = vendor.put_record(transfer, "paper-2", body(declared(content, CONTENT_TYPE)))
    assert waiting.status_code == 201, waiting.text
    stored_id, waiting_id = str(stored.json()["record_id"]), str(waiting.json()["record_id"])
    eventually(lambda: catalog_holds(cluster, stored_id), what="catalog to hold the record")
    # As a record deposited before match keys: none in ingest, none in catalog.
    sql(cluster, "ingest", "UPDATE records SET match_key = NULL WHERE record_id = ANY($1::uuid[])",
        [stored_id, waiting_id])  # fmt: skip
    sql(cluster, "catalog", "UPDATE records SET match_key = NULL WHERE record_id = $1::uuid",
        stored_id)  # fmt: skip
    a = Citizen(cluster, NAME, RRN_A, "010-7140-1001")
    c = Citizen(cluster, NAME, RRN_C, "010-7140-1003")
    eventually(lambda: catalog_knows(cluster, a.person_id), what="catalog to know A")
    eventually(lambda: catalog_knows(cluster, c.person_id), what="catalog to know C")
    admin = staff_on(cluster, "catalog", "reviewer", prefix="reviewer")
    assert candidates(admin, stored_id) == []  # stranded, as the old records are
    return Old(cluster, vendor, transfer, stored_id, waiting_id, content, a, c, admin)


def test_killed_between_batches_a_rerun_keys_the_rest(old: Old) -> None:
    crashed, _, _ = old.backfill(
        "--batch", "1", env={"MEDREC_FAILPOINTS": "linkage.backfill.after_batch"}
    )
    assert crashed == CRASH_EXIT_CODE
    assert keyed(old.cluster, old.stored, old.waiting) == 1  # the first batch was committed

    code, given, _ = old.backfill("--batch", "1")
    assert code == 0, old.outputs[-1]
    assert given >= 1
    assert keyed(old.cluster, old.stored, old.waiting) == 2


def test_catalog_proposes_the_old_record_to_the_person_who_verified_before(old: Old) -> None:
    def one() -> list[dict[str, Any]] | None:
        found = candidates(old.admin, old.stored)
        return found or None

    found = eventually(one, timeout=60, what="a candidate for the old record")
    assert [(c["person_id"], c["status"], c["matched_on"]) for c in found] == [
        (old.a.person_id, "pending", "name+birth_date+sex")
    ]
    # the operator's review reads its demographics, as for any record without an RRN
    detail = old.admin.get(f"/v1/admin/linkage-candidates/{found[0]['candidate_id']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["record_demographics"] == {
        "name": CHART_NAME,
        "birth_date": BIRTH,
        "sex": "female",
    }


def test_an_old_record_awaiting_its_content_is_proposed_once_it_comes(old: Old) -> None:
    assert candidates(old.admin, old.waiting) == []  # not announced: catalog does not know it
    uploaded = old.vendor.put_content(old.transfer, "paper-2", old.waiting_content, CONTENT_TYPE)
    assert uploaded.status_code in (200, 201), uploaded.text
    found = eventually(lambda: candidates(old.admin, old.waiting), timeout=60,
                       what="a candidate for the record whose content came")  # fmt: skip
    assert [(c["person_id"], c["status"]) for c in found] == [(old.a.person_id, "pending")]


def test_a_second_run_changes_nothing(old: Old) -> None:
    before = assignments(old.cluster)
    code, given, announced = old.backfill()
    assert (code, given, announced) == (0, 0, 0), old.outputs[-1]
    assert "unreadable: 0; remaining: 0" in old.outputs[-1]
    assert assignments(old.cluster) == before
    assert [c["person_id"] for c in candidates(old.admin, old.stored)] == [old.a.person_id]


def test_no_name_birth_date_or_rrn_in_the_output_logs_or_events(old: Old) -> None:
    assert old.outputs, "the command ran"
    names = [CHART_NAME, NAME, unicodedata.normalize("NFD", NAME), "을빛"]
    rrns = [form for rrn in (RRN_A, RRN_C) for form in (rrn, rrn.replace("-", ""))]
    forbidden = [*names, BIRTH, OTHER_BIRTH, BIRTH.replace("-", ""), *rrns]
    escaped = [json.dumps(v)[1:-1] for v in forbidden]
    printed = "\n".join(old.outputs)
    for value in [*forbidden, *escaped]:
        assert value not in printed, f"{value!r} in the command's output"
    # nor any service's log, nor the events the command wrote
    for log in old.cluster.logs.glob("*.log"):
        text = log.read_text(errors="replace")
        for value in [*forbidden, *escaped]:
            assert value not in text, f"{value!r} in {log.name}"
    rows = sql(old.cluster, "ingest", "SELECT envelope::text AS e FROM outbox "
               "WHERE envelope->>'type' = 'RecordMatchKeyAssigned'")  # fmt: skip
    events = "\n".join(r["e"] for r in rows)
    assert events and old.stored in events
    for value in [*forbidden, *escaped]:
        assert value not in events, f"{value!r} in a RecordMatchKeyAssigned"
