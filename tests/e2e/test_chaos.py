"""Power cuts, many: the whole stack, engines included, is killed at once (Cluster.crash) at a
random moment while records are deposited (one by one, streamed, in batches), copies are made
and the workers sweep; then started again on the same data directory, and checked:
1. every deposit acknowledged before a cut is stored exactly once, with its content; one never
   acknowledged may be stored or not, but never twice;
2. every event is applied once: each stored record was announced once (one RecordStored in
   ingest's outbox), that event is in catalog's inbox once, and catalog lists the record once;
3. every copy answered ready before a cut still downloads the same and verifies; every copy
   asked is made after the restart;
4. once the sweeps have run, no object is left that no row points at (tests/support/chaos.py
   says what points at what).

`CHAOS_CUTS` cuts (3 in `make test`, 100 in `make chaos`), at moments drawn from `CHAOS_SEED`
(printed, so that a failing run can be replayed). A defect found is kept with its round and the
run goes on, so that the tallies (printed, and written to chaos.json in the test's directory)
count every cut; the test then fails naming each one."""

import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, bearer, eventually
from tests.support.builders import structured_medical
from tests.support.chaos import (
    Answers,
    Copy,
    Load,
    Person,
    Tally,
    a_record,
    download,
    in_catalog,
    listed_once,
    orphans,
    scan,
)
from tests.support.stack import sql

pytestmark = pytest.mark.e2e

CUTS = int(os.environ.get("CHAOS_CUTS") or 3)
SEED = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(2**32))
CODE = "46000001"
OWNER = Person("900909-1234564", "정전이", "1990-09-09")
# The workers' schedules, short, so that their sweeps run all through the load and right after
# each restart; a copy a cut left claimed is taken again soon after the restart; an object no
# row points at is an orphan once older than a restart takes, not a deposit in flight.
SCHEDULES = {
    "MEDREC_INGEST_SEGMENT_SWEEP_SECONDS": "2",
    "MEDREC_INGEST_RELEASE_SWEEP_SECONDS": "2",
    "MEDREC_INGEST_ORPHAN_GRACE_SECONDS": "15",
    "MEDREC_CATALOG_RETENTION_SWEEP_SECONDS": "2",
    "MEDREC_ISSUANCE_RENDER_SWEEP_SECONDS": "1",
    "MEDREC_ISSUANCE_RENDER_RETRY_SECONDS": "2",
    "MEDREC_ISSUANCE_RENDER_TIMEOUT_SECONDS": "20",
    "MEDREC_ISSUANCE_RENDER_LEASE_SECONDS": "25",
}
SETTLE = 180  # seconds for what a restart must bring about (catalog caught up, copies made)


def say(line: str) -> None:
    print(f"[chaos] {line}", file=sys.stderr, flush=True)


class Run:
    """The stack through its cuts, and what its users were told."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.cluster = Cluster(state, front_doors=False).start()
        operator = Operator(self.cluster)
        self.client = operator.register_client([CODE])
        self.reader = self.cluster.provision_service_client("chaos-reader", ["content:read"])
        self.depositor = Depositor(self.cluster, *self.client)
        self.transfer_id = self.depositor.open_transfer(CODE, "정전시험의원")
        self.citizen = Citizen(self.cluster, OWNER.name, OWNER.rrn)
        self.answers = Answers()
        self.copies: list[Copy] = []
        self.copyable: list[str] = []
        self.downloaded: set[str] = set()  # copies downloaded again after a cut
        self.unmade: set[str] = set()  # copies never made (each reported once)
        self.lost: set[str] = set()
        self.defects: list[str] = []

    def restart(self) -> None:
        # The same code on the same data: its migrations ran at the first start.
        self.cluster = Cluster(
            self.state, ports=dict(self.cluster.ports), front_doors=False, migrate=False
        ).start()
        # Tokens minted again: a long run outlives them.
        self.depositor = Depositor(self.cluster, *self.client)
        self.citizen = Citizen(self.cluster, OWNER.name, OWNER.rrn)

    def defect(self, round_: int, what: str) -> None:
        line = f"seed {SEED} round {round_}: {what}"
        say(f"DEFECT {line}")
        self.defects.append(line)


@pytest.fixture
def state() -> Iterator[Path]:
    """The stack's data directory, outside pytest's own temporary directories: another pytest
    run on the machine makes their root private to root again (0700), and PostgreSQL, which
    runs as a user of its own, could then not reach its files after the next cut. Kept when the
    test fails, to look into."""
    path = Path(tempfile.mkdtemp(prefix="medrec-chaos-"))
    yield path
    if not (path / "failed").exists():
        shutil.rmtree(path, ignore_errors=True)


def test_power_cuts_at_random_lose_nothing_answered_and_leave_nothing_behind(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SCHEDULES.items():
        monkeypatch.setenv(name, value)  # every process of the stack inherits them
    rng = random.Random(SEED)
    report = tmp_path / "chaos.json"
    tally = Tally(seed=SEED)
    say(f"CHAOS_SEED={SEED} CHAOS_CUTS={CUTS} (report: {report})")
    began = time.monotonic()
    run = Run(state)
    try:
        first_records(run)
        for round_ in range(1, CUTS + 1):
            cut_at = rng.uniform(0.5, 4.0)
            load = Load(
                run.depositor, run.citizen, run.transfer_id, OWNER, f"r{round_}",
                run.answers, run.copies, list(run.copyable),
            ).start()  # fmt: skip
            time.sleep(cut_at)  # the random moment of the cut, not a wait for an event
            run.cluster.crash()
            load.join()
            restarting = time.monotonic()
            run.restart()
            tally.seconds_restart.append(time.monotonic() - restarting)
            tally.cuts = round_
            took = check(run, round_, tally)
            tally.seconds_total = time.monotonic() - began
            tally.seconds_per_cut = tally.seconds_total / round_
            report.write_text(json.dumps(tally.summary(), indent=2))
            say(
                f"round {round_}/{CUTS} cut at {cut_at:.2f}s: acknowledged {tally.acknowledged}"
                f" stored {tally.stored} lost {tally.lost} doubled {tally.doubled} copies"
                f" {tally.copies_ready_after}/{tally.copies_asked} orphans seen"
                f" {tally.orphans_after_cut} left {tally.orphans_left_after_sweep}"
                f" restart {tally.seconds_restart[-1]:.1f}s, {took},"
                f" {tally.seconds_per_cut:.1f}s/cut"
            )
    except BaseException:
        (state / "failed").write_text("the run stopped")
        raise
    finally:
        run.cluster.stop()
    say("tallies " + json.dumps(tally.summary()))
    if run.defects:
        (state / "failed").write_text("\n".join(run.defects))
    assert run.defects == [], "\n".join([*run.defects, f"(the stack's data: {state})"])
    assert tally.cuts == CUTS


def first_records(run: Run) -> None:
    """A few records listed for the owner before the first cut, for the copies to hold."""
    for n in range(4):
        external_id = f"r0-put-{n}"
        run.answers.answer(external_id, "unanswered")
        response = run.depositor.put_record(
            run.transfer_id, external_id, a_record(OWNER, external_id)
        )
        assert response.status_code == 201, response.text
        run.answers.answer(external_id, response.status_code)
    run.copyable = eventually(
        lambda: [r["record_id"] for r in listed_once(run.citizen)] or None,
        what="the first records listed",
    )


def check(run: Run, round_: int, tally: Tally) -> str:
    """The four checks; how long each took."""
    took = [time.monotonic()]
    first_look = orphans(run.cluster)
    tally.orphans_after_cut += len(first_look)
    stored = check_deposits(run, round_, tally)
    took.append(time.monotonic())
    check_events(run, round_, tally, stored)
    took.append(time.monotonic())
    check_copies(run, round_, tally)
    took.append(time.monotonic())
    try:
        eventually(lambda: not orphans(run.cluster), timeout=SETTLE, what="the sweeps")
    except AssertionError:
        left = orphans(run.cluster)
        tally.orphans_left_after_sweep += len(left)
        run.defect(round_, f"{len(left)} objects nothing points at after the sweeps: {left[:5]}")
    took.append(time.monotonic())
    names = ("deposits", "events", "copies", "orphans")
    return " ".join(f"{n} {b - a:.1f}s" for n, a, b in zip(names, took[:-1], took[1:], strict=True))


def check_deposits(run: Run, round_: int, tally: Tally) -> dict[str, tuple[str, str]]:
    """Each acknowledged deposit stored once, with its content; none stored twice. The stored
    records by external id: (record id, status)."""
    rows = sql(
        run.cluster,
        "ingest",
        "SELECT external_id, record_id, status, object_key FROM records WHERE transfer_id = $1",
        uuid.UUID(run.transfer_id),
    )
    stored: dict[str, tuple[str, str]] = {}
    doubled = set()
    for row in rows:
        if row["external_id"] in stored:
            doubled.add(row["external_id"])
        stored[row["external_id"]] = (str(row["record_id"]), row["status"])
    acknowledged = run.answers.acknowledged()
    # An acknowledged declared record is acknowledged with its content: it is stored.
    lost = {e for e in acknowledged if e not in stored or stored[e][1] != "stored"}
    if lost - run.lost:
        run.defect(round_, f"acknowledged deposits lost: {sorted(lost - run.lost)[:10]}")
    if doubled:
        run.defect(round_, f"deposits stored twice: {sorted(doubled)[:10]}")
    run.lost |= lost
    # Each deposit counted once on its transfer, in the transaction that stored it.
    counted = sql(
        run.cluster,
        "ingest",
        "SELECT received, stored FROM transfers WHERE transfer_id = $1",
        uuid.UUID(run.transfer_id),
    )[0]
    held = (len(rows), sum(row["status"] == "stored" for row in rows))
    if (counted["received"], counted["stored"]) != held:
        run.defect(round_, f"the transfer counts {tuple(counted)}, its records are {held}")
    sent = run.answers.sent
    tally.deposits_sent, tally.acknowledged = len(sent), len(acknowledged)
    tally.stored = len(set(stored) & set(sent))
    tally.doubled, tally.lost = tally.doubled + len(doubled), len(run.lost)
    tally.unacknowledged_stored = len(set(stored) - acknowledged)

    # The contents acknowledged in this round read back byte for byte.
    token = run.cluster.client_token(*run.reader)
    reader = httpx.Client(base_url=run.cluster.url("ingest"), headers=bearer(token), timeout=60)
    this_round = sorted(e for e in acknowledged - lost if e.startswith(f"r{round_}-"))
    for external_id in this_round[:: max(1, len(this_round) // 20)]:
        got = reader.get(
            f"/internal/v1/records/{stored[external_id][0]}/content",
            params={"purpose": "certified_copy"},
        )
        if got.status_code != 200 or got.content != expected_content(external_id):
            run.defect(round_, f"{external_id}'s content unreadable or changed ({got.status_code})")
    return stored


def expected_content(external_id: str) -> bytes:
    declared = "-put-" in external_id and int(external_id.rsplit("-", 1)[1]) % 4 == 3
    return scan(external_id) if declared else structured_medical(external_id)


def check_events(run: Run, round_: int, tally: Tally, stored: dict[str, tuple[str, str]]) -> None:
    """Each stored record announced once, that event applied once by catalog, and catalog
    listing each record once."""
    ids = [uuid.UUID(r) for r, status in stored.values() if status == "stored"]
    try:
        eventually(
            lambda: in_catalog(run.cluster, ids) == len(ids),
            timeout=SETTLE,
            what="catalog to hold every stored record",
        )
    except AssertionError:
        missing = len(ids) - in_catalog(run.cluster, ids)
        tally.events_not_applied += missing
        run.defect(round_, f"{missing} stored records never reached catalog")
    announced = sql(
        run.cluster,
        "ingest",
        "SELECT envelope->'data'->>'record_id' AS record_id, envelope->>'event_id' AS event_id "
        "FROM outbox WHERE envelope->>'type' = 'RecordStored'",
    )
    per_record: dict[str, list[uuid.UUID]] = {}
    for row in announced:
        per_record.setdefault(row["record_id"], []).append(uuid.UUID(row["event_id"]))
    twice = [r for r in map(str, ids) if len(per_record.get(r, [])) != 1]
    if twice:
        run.defect(round_, f"records not announced exactly once: {twice[:5]}")
    events = [e for r in map(str, ids) for e in per_record.get(r, [])]
    inbox = sql(
        run.cluster,
        "catalog",
        "SELECT event_id, count(*) AS n FROM inbox WHERE event_id = ANY($1::uuid[]) "
        "GROUP BY consumer, event_id",
        events,
    )
    applied_twice = [r["event_id"] for r in inbox if r["n"] != 1]
    not_applied = set(events) - {r["event_id"] for r in inbox}
    tally.events_applied_twice += len(applied_twice)
    if applied_twice or not_applied:
        run.defect(
            round_,
            f"events applied twice {applied_twice[:5]}, not applied {sorted(not_applied)[:5]}",
        )
    listed = {r["record_id"] for r in listed_once(run.citizen)}
    if listed != set(map(str, ids)):
        run.defect(
            round_,
            f"catalog lists {len(listed)} records, ingest stored {len(ids)}: "
            f"{sorted(listed ^ set(map(str, ids)))[:5]}",
        )
    run.copyable = sorted(listed)


def check_copies(run: Run, round_: int, tally: Tally) -> None:
    """Every copy asked is made; every copy issued (answered ready before a cut, or made after
    a restart) still verifies after every cut, and downloads as it did."""
    public = httpx.Client(base_url=run.cluster.url("issuance"), timeout=60)
    tally.copies_asked = len(run.copies)
    tally.copies_ready_before_cut = sum(c.ready_before_cut for c in run.copies)
    fresh: list[Copy] = []
    for copy in run.copies:
        if copy.issuance_id in run.unmade:
            continue
        if copy.ready is None:  # asked, not ready before the cut: made after the restart
            try:
                copy.ready = run.citizen.wait_ready(copy.issuance_id)
            except AssertionError as failed:
                run.defect(round_, f"copy {copy.issuance_id} not made: {str(failed)[:200]}")
                run.unmade.add(copy.issuance_id)
                continue
            copy.sha256 = hashlib.sha256(download(run.citizen, copy.issuance_id)).hexdigest()
            tally.copies_ready_after += 1
        if copy.issuance_id not in run.downloaded:
            fresh.append(copy)
    issued = [c for c in run.copies if c.ready is not None]
    verifiable = [c for c in issued if verifies(public, c.ready or {}, c.sha256 or "")]
    tally.copies_verifiable = len(verifiable)
    for copy in (c for c in issued if c not in verifiable):
        run.defect(round_, f"copy {copy.issuance_id} does not verify")
    # Each one's PDF once after the cut that came after it was issued, a few earlier ones again.
    earlier = [c for c in issued if c.issuance_id in run.downloaded]
    again = random.Random(round_).sample(earlier, min(3, len(earlier)))
    for copy in [*fresh, *again]:
        if hashlib.sha256(download(run.citizen, copy.issuance_id)).hexdigest() != copy.sha256:
            run.defect(round_, f"copy {copy.issuance_id} downloads other bytes after the cut")
        run.downloaded.add(copy.issuance_id)


def verifies(public: httpx.Client, ready: dict[str, Any], sha256: str) -> bool:
    checked = public.get(
        "/v1/verify",
        params={"number": ready["issuance_number"], "code": ready["verification_code"]},
    )
    body = checked.json() if checked.status_code == 200 else {}
    return body.get("valid") is True and body.get("sha256") == sha256 == ready["sha256"]
