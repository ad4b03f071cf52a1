"""Power cuts under load, as test helpers: the load (record PUTs, streamed contents, batches and
copies, each answer kept), what the stack holds seen from its databases and buckets, and the
tallies of a run. Shared by tests/e2e/test_power_cut.py (one cut) and test_chaos.py (many).

What points at an object, bucket by bucket (the services' storage code):
- ingest's `medrec-records`: `records/<record_id>` (an inline record) and
  `records/<record_id>/<upload>` (streamed content) by the record's `object_key`;
  `segments/<id>` (a batch group) by a `segments` row (records point into it by `object_key`
  and a span). `destruction-log/…` is the destruction ledger: kept on purpose, no row.
- issuance's `medrec-copies`: `copies/<issuance_id>/<claim>` by the issuance's `object_key`;
  `proxy/…` by a proxy request (no proxy load here, so none is expected)."""

import contextlib
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.storage import ObjectStore
from tests.support.actors import Citizen, Depositor
from tests.support.builders import (
    batch_line,
    content_digest,
    declared,
    inline,
    ndjson,
    record_body,
    structured_medical,
)
from tests.support.stack import sql

STRUCTURED = "application/vnd.medrec.record+json"
RECORDS_BUCKET, COPIES_BUCKET = "medrec-records", "medrec-copies"
ACKNOWLEDGED = (200, 201)
COPIES_PER_ROUND = 3  # a copy's render takes a core for a second or two


# -- what a citizen and the stack show ---------------------------------------------------------
def listed_once(citizen: Citizen) -> list[dict[str, Any]]:
    """Every page of the citizen's records; none may be listed twice."""
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "500"} | ({"cursor": cursor} if cursor else {})
        response = citizen.catalog.get("/v1/me/records", params=params)
        assert response.status_code == 200, response.text
        records += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            break
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids)), "a record listed twice"
    return records


def in_catalog(cluster: Cluster, record_ids: list[uuid.UUID]) -> int:
    query = "SELECT count(*) FROM records WHERE record_id = ANY($1::uuid[])"
    return int(sql(cluster, "catalog", query, record_ids)[0][0])


def record_ids(cluster: Cluster, transfer_id: str) -> dict[str, str]:
    rows = sql(
        cluster,
        "ingest",
        "SELECT external_id, record_id FROM records WHERE transfer_id = $1",
        uuid.UUID(transfer_id),
    )
    return {r["external_id"]: str(r["record_id"]) for r in rows}


def download(citizen: Citizen, issuance_id: str) -> bytes:
    response = citizen.issuance.get(f"/v1/issuances/{issuance_id}/document")
    assert response.status_code == 200, response.text
    return response.content


def orphans(cluster: Cluster) -> list[str]:
    """The objects of ingest's and issuance's buckets that no row points at (the module's
    docstring says what points at what), as `bucket/key`."""
    assert cluster.infra is not None
    infra = cluster.infra
    client = ObjectStore.from_url(infra.s3_url, infra.s3_access_key, infra.s3_secret_key).client

    def keys(bucket: str, prefix: str) -> list[str]:
        if not client.bucket_exists(bucket):
            return []
        found = client.list_objects(bucket, prefix=prefix, recursive=True)
        return [o.object_name for o in found if o.object_name is not None]

    held = "SELECT object_key FROM records WHERE object_key IS NOT NULL"
    pointed = {r[0] for r in sql(cluster, "ingest", held)}
    pointed |= {r[0] for r in sql(cluster, "ingest", "SELECT object_key FROM segments")}
    copies = {
        r[0]
        for r in sql(
            cluster, "issuance", "SELECT object_key FROM issuances WHERE object_key IS NOT NULL"
        )
    }
    ingest = [
        f"{RECORDS_BUCKET}/{k}"
        for prefix in ("records/", "segments/")
        for k in keys(RECORDS_BUCKET, prefix)
        if k not in pointed
    ]
    issuance = [
        f"{COPIES_BUCKET}/{k}"
        for prefix in ("copies/", "proxy/")
        for k in keys(COPIES_BUCKET, prefix)
        if k not in copies
    ]
    return ingest + issuance


# -- the load ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    rrn: str
    name: str
    birth: str


def a_record(owner: Person, note: str) -> dict[str, Any]:
    content = inline(structured_medical(note), STRUCTURED)
    return record_body(owner.rrn, owner.name, owner.birth, content)


def scan(external_id: str) -> bytes:
    """A small DICOM file (Part 10: a 128-byte preamble, then DICM), its own for each id."""
    noise = hashlib.sha256(external_id.encode()).digest() * 2048  # 64 KiB
    return b"\0" * 128 + b"DICM" + noise


@dataclass
class Answers:
    """What the people using the stack were told, kept across cuts: by external id, the status
    of each deposit (an int, or the name of the error when no answer came)."""

    sent: dict[str, int | str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answer(self, external_id: str, status: int | str) -> None:
        with self.lock:
            self.sent[external_id] = status

    def acknowledged(self) -> set[str]:
        with self.lock:
            return {e for e, s in self.sent.items() if s in ACKNOWLEDGED}


@dataclass
class Copy:
    issuance_id: str
    record_ids: list[str]
    ready: dict[str, Any] | None = None  # the issuance as it was answered ready
    sha256: str | None = None  # of the PDF downloaded
    ready_before_cut: bool = False  # answered ready while the load ran


class Load:
    """One round's load, each kind from a thread of its own until `stop` is set: record PUTs
    one after another (every fourth one declared, its content streamed after), batches of
    `batch_size` lines read answer by answer, and copies asked of records already listed,
    each followed until ready. Every answer is kept in `answers` and `copies`; a request
    that got no answer (the power went) is kept by the error's name."""

    def __init__(
        self,
        depositor: Depositor,
        citizen: Citizen,
        transfer_id: str,
        owner: Person,
        prefix: str,
        answers: Answers,
        copies: list[Copy],
        copyable: list[str],
        batch_size: int = 20,
    ) -> None:
        self.depositor, self.citizen = depositor, citizen
        self.transfer_id, self.owner, self.prefix = transfer_id, owner, prefix
        self.answers, self.copies, self.copyable = answers, copies, copyable
        self.batch_size = batch_size
        self.asked = 0  # copies asked and answered ready (or failed)
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._guarded(run), daemon=True)
            for run in (self._puts, self._batches, self._copies)
        ]

    def start(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)

    def _guarded(self, run: Any) -> Any:
        def guarded() -> None:
            # The power went mid-request: what was answered is kept.
            with contextlib.suppress(httpx.HTTPError, OSError, ValueError, KeyError):
                run()

        return guarded

    def _puts(self) -> None:
        path = f"/v1/transfers/{self.transfer_id}/records"
        n = 0
        while not self.stop.is_set():
            external_id = f"{self.prefix}-put-{n}"
            try:
                if n % 4 == 3:
                    content = scan(external_id)
                    body = record_body(
                        self.owner.rrn, self.owner.name, self.owner.birth,
                        declared(content, "application/dicom"),
                    )  # fmt: skip
                    # Sent before the request: a cut before its answer may leave it either way.
                    self.answers.answer(external_id, "unanswered")
                    made = self.depositor.ingest.put(f"{path}/{external_id}", json=body)
                    if made.status_code != 201:
                        self.answers.answer(external_id, made.status_code)
                    else:
                        taken = self.depositor.put_content(
                            self.transfer_id, external_id, content, "application/dicom",
                            digest=content_digest(content),
                        )  # fmt: skip
                        self.answers.answer(external_id, taken.status_code)
                else:
                    self.answers.answer(external_id, "unanswered")
                    response = self.depositor.ingest.put(
                        f"{path}/{external_id}", json=a_record(self.owner, external_id)
                    )
                    self.answers.answer(external_id, response.status_code)
            except httpx.HTTPError as error:
                self.answers.answer(external_id, type(error).__name__)
                return
            n += 1

    def _batches(self) -> None:
        k = 0
        while not self.stop.is_set():
            ids = [f"{self.prefix}-b{k}-{i}" for i in range(self.batch_size)]
            for external_id in ids:
                self.answers.answer(external_id, "unanswered")
            body = ndjson(batch_line(e, a_record(self.owner, e)) for e in ids)
            with self.depositor.ingest.stream(
                "POST",
                f"/v1/transfers/{self.transfer_id}/records:batch",
                content=body,
                headers={"Content-Type": "application/x-ndjson"},
                timeout=600,
            ) as response:
                if response.status_code != 200:
                    return
                for line in response.iter_lines():
                    if line.strip():
                        answer = json.loads(line)
                        created = answer.get("status") in ("created", "unchanged")
                        self.answers.answer(answer["external_id"], 201 if created else 422)
            k += 1

    def _copies(self) -> None:
        """Up to `copies_per_round` copies asked, one after another, each followed until
        ready (its PDF then downloaded and its digest kept)."""
        if not self.copyable:
            return
        pending: list[Copy] = []
        while not self.stop.is_set():
            if len(pending) + self.asked < COPIES_PER_ROUND:
                n = len(self.copies)
                chosen = [self.copyable[(2 * n + i) % len(self.copyable)] for i in range(2)]
                asked = self.citizen.issuance.post(
                    "/v1/issuances", json={"record_ids": sorted(set(chosen))}
                )
                if asked.status_code != 202:
                    return
                copy = Copy(asked.json()["issuance_id"], chosen)
                self.copies.append(copy)
                pending.append(copy)
            for copy in list(pending):
                body = self.citizen.issuance.get(f"/v1/issuances/{copy.issuance_id}").json()
                if body["status"] == "ready":
                    pdf = download(self.citizen, copy.issuance_id)
                    copy.sha256 = hashlib.sha256(pdf).hexdigest()
                    copy.ready, copy.ready_before_cut = body, True
                if body["status"] != "pending" and body["status"] != "rendering":
                    pending.remove(copy)  # a failed one is seen by the checks
                    self.asked += 1
            self.stop.wait(0.2)


# -- the tallies -------------------------------------------------------------------------------
@dataclass
class Tally:
    seed: int
    cuts: int = 0
    deposits_sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    doubled: int = 0
    lost: int = 0
    unacknowledged_stored: int = 0
    events_applied_twice: int = 0
    events_not_applied: int = 0
    copies_asked: int = 0
    copies_ready_before_cut: int = 0
    copies_ready_after: int = 0
    copies_verifiable: int = 0
    orphans_after_cut: int = 0  # seen at the first look after a restart (the sweep may be first)
    orphans_left_after_sweep: int = 0
    seconds_total: float = 0.0
    seconds_per_cut: float = 0.0
    seconds_restart: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        restarts = data.pop("seconds_restart")
        data["seconds_restart_mean"] = round(sum(restarts) / len(restarts), 1) if restarts else 0
        return data


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
