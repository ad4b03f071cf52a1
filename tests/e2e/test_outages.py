"""Outages under load (issue #31, item 5): the broker away for 60 s, the object store away for
60 s, PostgreSQL restarted, each while a depositor sends records and batches, a citizen asks for
copies and downloads them, and the transfer kit pushes an export. While the engine is away every
answer is a success or a 503 problem with Retry-After (never a 500, never a connection left
hanging), and `/readyz` names what is missing where the API uses it; once it is back everything
resumes alone (no process restarted by hand, none exited): every acknowledged deposit is stored
once and listed once, every copy asked for is made and verifies, the kit's push exits 0.

A stack of its own on a throwaway directory: stopping engines would break the tests that share
the session's `cluster`."""

import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import FRONT_DOORS, SERVICES, Cluster
from medrec_transfer.sample import write_export
from tests.support.actors import Citizen, Depositor, Operator, bearer, eventually
from tests.support.builders import batch_line, inline, new_code, record_body, structured_medical
from tests.support.stack import sql

pytestmark = pytest.mark.e2e

OWNER = ("900909-1234568", "버팀목", "1990-09-09")
STRUCTURED = "application/vnd.medrec.record+json"
CODE = "45000031"
OUTAGE_SECONDS = 60.0  # the minute, for the broker and the object store
RESTART_SECONDS = 15.0  # PostgreSQL is restarted: down this long, then started again
CLIENT_TIMEOUT = 30.0  # an answer slower than this is a connection left hanging
UNAVAILABLE_TYPES = {
    "https://medrec.example/problems/unavailable",
    "https://medrec.example/problems/upstream-unavailable",
}
KIT = str(Path(sys.executable).parent / "medrec-transfer")


@dataclass
class Tally:
    """What one kind of request got: sent, acknowledged (2xx), refused (503 with Retry-After),
    and anything else (described, to be shown when the test fails)."""

    sent: int = 0
    acknowledged: int = 0
    refused: int = 0
    cut: int = 0
    wrong: list[str] = field(default_factory=list)
    # A streamed answer (a batch's lines) has begun with its 200 when the engine goes: the
    # service cuts the connection so that the client knows it is incomplete (and sends the
    # batch again, as the kit does). Anything else cut, or hung, is wrong.
    streamed: bool = False

    def judge(self, what: str, call: Any, *args: Any, **kwargs: Any) -> httpx.Response | None:
        """`call(*args, **kwargs)`, an HTTP request, counted by its answer."""
        self.sent += 1
        try:
            response: httpx.Response = call(*args, **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            if self.streamed:
                self.cut += 1
            else:
                self.wrong.append(f"{what}: {type(error).__name__}")
            return None
        except httpx.HTTPError as error:  # a timeout (hung), a refused connection
            self.wrong.append(f"{what}: {type(error).__name__}")
            return None
        if response.is_success:
            self.acknowledged += 1
            return response
        problem = _json(response)
        if (
            response.status_code == 503
            and response.headers.get("Retry-After", "").isdigit()
            and problem.get("type") in UNAVAILABLE_TYPES
        ):
            self.refused += 1
        else:
            self.wrong.append(f"{what}: {response.status_code} {response.text[:200]}")
        return None

    def line(self) -> str:
        return (
            f"sent={self.sent} acknowledged={self.acknowledged} refused_503={self.refused} "
            f"cut_mid_answer={self.cut} other={len(self.wrong)}"
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Load:
    """A depositor's PUTs and batches, and a citizen's copies asked for and downloaded, each
    from a thread of its own until `stop`."""

    def __init__(self, stack: "Stack", tag: str) -> None:
        self.stack, self.tag = stack, tag
        self.puts, self.copies, self.reads = Tally(), Tally(), Tally()
        self.batches = Tally(streamed=True)
        self.acknowledged: set[str] = set()  # external ids answered stored
        self.lines: Counter[str] = Counter()  # batch lines by the status they were answered
        self.asked: list[str] = []  # issuance ids answered 202
        self.downloaded: set[str] = set()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._deposit, daemon=True),
            threading.Thread(target=self._ask_copies, daemon=True),
        ]

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(CLIENT_TIMEOUT * 3)

    def _deposit(self) -> None:
        ingest = httpx.Client(
            base_url=self.stack.cluster.url("ingest"), timeout=CLIENT_TIMEOUT,
            headers=bearer(self.stack.depositor.token),
        )  # fmt: skip
        path = f"/v1/transfers/{self.stack.transfer_id}/records"
        n = 0
        while not self.stop.is_set():
            n += 1
            external_id = f"{self.tag}-{n}"
            body = record_body(*OWNER, inline(structured_medical(f"{self.tag} {n}"), STRUCTURED))
            if self.puts.judge("PUT record", ingest.put, f"{path}/{external_id}", json=body):
                self.acknowledged.add(external_id)
            if n % 3 == 0:
                self._batch(ingest, path, n)
            self.stop.wait(0.2)  # a steady pace, not a flood on two cores

    def _batch(self, ingest: httpx.Client, path: str, n: int) -> None:
        lines = {f"{self.tag}-b{n}-{i}": f"{self.tag} 묶음 {n} {i}" for i in range(4)}
        body = b"".join(
            json.dumps(
                batch_line(e, record_body(*OWNER, inline(structured_medical(t), STRUCTURED))),
                ensure_ascii=False,
            ).encode() + b"\n"
            for e, t in lines.items()
        )  # fmt: skip
        answered = self.batches.judge(
            "POST batch", ingest.post, f"{path}:batch", content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )  # fmt: skip
        if answered is not None:
            for answer in map(json.loads, answered.text.splitlines()):
                self.lines[answer["status"]] += 1
                if answer["status"] in ("created", "unchanged"):
                    self.acknowledged.add(answer["external_id"])

    def _ask_copies(self) -> None:
        issuance = httpx.Client(
            base_url=self.stack.cluster.url("issuance"), timeout=CLIENT_TIMEOUT,
            headers=bearer(self.stack.citizen.token),
        )  # fmt: skip
        n = 0
        while not self.stop.is_set():
            n += 1
            if n % 10 == 1:  # a copy every few seconds; the rest of the time, downloads
                pair = self.stack.record_ids[n % 3 : n % 3 + 2]
                asked = self.copies.judge(
                    "POST copy", issuance.post, "/v1/issuances", json={"record_ids": pair}
                )
                if asked is not None:
                    self.asked.append(str(asked.json()["issuance_id"]))
            for issuance_id in [i for i in self.asked if i not in self.downloaded]:
                seen = self.reads.judge("GET copy", issuance.get, f"/v1/issuances/{issuance_id}")
                if seen is not None and seen.json()["status"] == "ready":
                    document = f"/v1/issuances/{issuance_id}/document"
                    if self.reads.judge("GET document", issuance.get, document):
                        self.downloaded.add(issuance_id)
            self.stop.wait(0.5)

    def wrong(self) -> list[str]:
        return [*self.puts.wrong, *self.batches.wrong, *self.copies.wrong, *self.reads.wrong]

    def counts(self) -> str:
        return (
            f"puts[{self.puts.line()}] batches[{self.batches.line()}] "
            f"batch_lines{dict(self.lines)} "
            f"copies[{self.copies.line()}] reads[{self.reads.line()}] "
            f"deposits_acknowledged={len(self.acknowledged)} copies_asked={len(self.asked)}"
        )


class Kit:
    """`medrec-transfer push` of an export of its own, as a vendor runs it: a subprocess."""

    def __init__(self, stack: "Stack", root: Path) -> None:
        self.code = new_code()
        client_id, secret = stack.operator.register_client([self.code])
        institution = {"code": self.code, "name": "버팀병원", "type": "병원",
                       "address": "대전광역시 서구 둔산로 100", "region": "대전"}  # fmt: skip
        self.root = write_export(root, records=200, institution=institution)
        secret_file = root.parent / f"{root.name}-secret"
        secret_file.write_text(secret + "\n")
        secret_file.chmod(0o600)
        self.log = root.parent / f"{root.name}-push.log"
        self.argv = [
            KIT, "push", str(self.root),
            "--identity-url", stack.cluster.url("identity"),
            "--ingest-url", stack.cluster.url("ingest"),
            "--client-id", client_id, "--client-secret-file", str(secret_file),
            "--batch-size", "5", "--concurrency", "2",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """A push left running by a failure is killed; one that ended is left as it is."""
        if self.process is not None and self.running():
            self.process.kill()
            self.process.wait(10)

    def stored(self) -> int:
        try:
            state = json.loads((self.root / ".medrec-transfer-state.json").read_text())
        except (FileNotFoundError, ValueError):
            return 0
        return len(state.get("stored", []))

    def finish(self) -> tuple[int, str]:
        """Its exit code (it must end by itself, without a person) and its output's tail."""
        assert self.process is not None
        code = self.process.wait(timeout=420)
        return code, self.log.read_text(errors="replace")[-2000:]


@dataclass
class Stack:
    cluster: Cluster
    operator: Operator
    depositor: Depositor
    transfer_id: str
    citizen: Citizen
    record_ids: list[str]
    root: Path  # the stack's directory, and the kit's exports


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # Not pytest's tmp_path: a directory pytest may rotate away (another session's start)
    # while this stack still runs on it.
    with tempfile.TemporaryDirectory(prefix="medrec-test-outages-") as path:
        yield from started(Path(path))


def started(root: Path) -> Iterator[Stack]:
    cluster = Cluster(root / "cluster", fast=True).start()
    try:
        operator = Operator(cluster)
        depositor = Depositor(cluster, *operator.register_client([CODE]))
        transfer_id = depositor.open_transfer(CODE, "버팀목내과의원")
        for n in range(4):  # what the citizen's copies are made of
            body = record_body(*OWNER, inline(structured_medical(f"처음 {n}"), STRUCTURED))
            assert depositor.put_record(transfer_id, f"first-{n}", body).status_code == 201
        citizen = Citizen(cluster, OWNER[1], OWNER[0])
        record_ids = eventually(
            lambda: [r["record_id"] for r in citizen.records()] if len(citizen.records()) == 4
            else None, what="the first records in catalog",
        )  # fmt: skip
        yield Stack(cluster, operator, depositor, transfer_id, citizen, record_ids, root)
    finally:
        cluster.stop()


def test_the_broker_away_for_a_minute(stack: Stack) -> None:
    # The APIs do not speak to the broker (their events wait in the outbox): they stay ready
    # and keep acknowledging; the workers' relays and consumers wait for it and carry on.
    ride_out(stack, "broker", OUTAGE_SECONDS, {})


def test_the_object_store_away_for_a_minute(stack: Stack) -> None:
    # Tansu keeps its log on the object store: with the store away the broker fails too (it
    # may exit), and is started again once the store is back: an outage of both.
    ride_out(stack, "objectstore", OUTAGE_SECONDS, {"ingest": "storage", "issuance": "storage"})


def test_postgresql_restarted(stack: Stack) -> None:
    # Every API and both front doors keep their data in it.
    missing = {service: "database" for service in (*SERVICES, *FRONT_DOORS)}
    ride_out(stack, "postgres", RESTART_SECONDS, missing)


def ride_out(stack: Stack, engine: str, seconds: float, missing: dict[str, str]) -> None:
    kit = Kit(stack, stack.root / f"export-{engine}")
    try:
        under_load(stack, engine, seconds, missing, kit)
    finally:
        kit.stop()


def under_load(
    stack: Stack, engine: str, seconds: float, missing: dict[str, str], kit: Kit
) -> None:
    cluster = stack.cluster
    assert cluster.infra is not None
    with Load(stack, engine) as load:
        eventually(lambda: load.puts.acknowledged >= 5, what="deposits before the outage")
        kit.start()
        eventually(lambda: kit.stored() >= 10 or not kit.running(),
                   what="the kit to store some lines")  # fmt: skip
        assert kit.running(), "the push ended before the outage began"
        cluster.infra.stop_engine(engine)
        try:
            named = watch_readiness(cluster, missing, time.monotonic() + seconds)
        finally:  # back for the next test, whatever this one found
            if engine == "objectstore" and not cluster.infra.engine("broker").alive():
                print("\nthe broker exited with the object store away (its log is kept there)")
            cluster.infra.start_engine(engine)
            if not cluster.infra.engine("broker").alive():
                cluster.infra.start_engine("broker")
        for service in (*SERVICES, *FRONT_DOORS):
            cluster.wait_ready(service, timeout=120)
        # The load resumes by itself: deposits and copies acknowledged again after the return.
        puts, copies = load.puts.acknowledged, load.copies.acknowledged
        eventually(
            lambda: load.puts.acknowledged >= puts + 10 and load.copies.acknowledged > copies,
            what="the load to resume", timeout=120,
        )  # fmt: skip
    counts = f"{engine}: {load.counts()}"
    print(f"\n{counts}")
    assert load.wrong() == [], f"{counts}; answers neither 2xx nor 503 with Retry-After"
    assert named == set(missing), f"{counts}; /readyz named the missing {engine} for {named}"
    exited = [name for name, process in cluster.processes.items() if not process.alive()]
    assert exited == [], f"{counts}; processes that exited: {exited}"

    stored = stored_once(stack, load)
    print(f"{engine}: deposits stored={stored}")
    for issuance_id in load.asked:
        copy = stack.citizen.wait_ready(issuance_id)
        download = stack.citizen.issuance.get(f"/v1/issuances/{issuance_id}/document")
        assert download.status_code == 200, download.text
        checked = httpx.get(
            f"{cluster.url('issuance')}/v1/verify",
            params={"number": copy["issuance_number"], "code": copy["verification_code"]},
            timeout=CLIENT_TIMEOUT,
        ).json()
        assert checked["valid"] is True and checked["sha256"] == copy["sha256"], counts
    code, output = kit.finish()
    print(f"{engine}: the kit's push exited {code}, {kit.stored()} lines stored")
    assert code == 0, f"{counts}; the kit's push: {output}"


def watch_readiness(cluster: Cluster, missing: dict[str, str], until: float) -> set[str]:
    """Asks each API's and front door's /readyz until the deadline (the load runs meanwhile); the
    ones whose answer named their missing dependency. Every answer comes within the client's
    timeout; the ones that do not use what is missing stay ready."""
    named: set[str] = set()
    while time.monotonic() < until:
        for service in (*SERVICES, *FRONT_DOORS):
            response = httpx.get(f"{cluster.url(service)}/readyz", timeout=CLIENT_TIMEOUT / 3)
            dependency = missing.get(service)
            if dependency is None:
                assert response.status_code == 200, (service, response.text)
            elif response.status_code == 503:
                checks = response.json()["checks"]
                if checks.get(dependency, "").startswith("unavailable"):
                    named.add(service)
        time.sleep(1.0)  # the deadline decides when this ends; this only paces the probes
    return named


def stored_once(stack: Stack, load: Load) -> int:
    """Every acknowledged deposit is held once by ingest and listed once by catalog; the number
    of this outage's deposits stored."""
    rows = sql(
        stack.cluster, "ingest",
        "SELECT external_id, record_id FROM records WHERE transfer_id = $1 "
        "AND external_id LIKE $2",
        uuid.UUID(stack.transfer_id), f"{load.tag}-%",
    )  # fmt: skip
    held = Counter(r["external_id"] for r in rows)
    assert [e for e, n in held.items() if n > 1] == [], "a deposit stored twice"
    lost = load.acknowledged - set(held)
    assert lost == set(), f"{load.counts()}; acknowledged, not stored: {sorted(lost)[:10]}"
    record_ids = {str(r["record_id"]) for r in rows}

    def listed() -> bool:
        items: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": "500"} | ({"cursor": cursor} if cursor else {})
            page = stack.citizen.catalog.get("/v1/me/records", params=params).json()
            items += [r["record_id"] for r in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert len(items) == len(set(items)), "a record listed twice"
        return record_ids <= set(items)

    eventually(listed, what="catalog to list every deposit once", timeout=240)
    return len(rows)
