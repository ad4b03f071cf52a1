"""A power cut: every process of the stack, engines included, is killed at once (SIGKILL) while
deposits and ingest's outbox relay are in flight. The stack started again on the same data
directory has lost nothing that was answered, and applied nothing twice."""

import asyncio
import hashlib
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_devstack.infra import Infra, start_infra
from tests.support.actors import Citizen, Depositor, Operator, eventually, service_client
from tests.support.builders import (
    batch_line,
    content_digest,
    declared,
    inline,
    record_body,
    structured_medical,
)
from tests.support.chaos import STRUCTURED, download, in_catalog, listed_once, record_ids
from tests.support.stack import sql

pytestmark = pytest.mark.e2e


OWNER = ("880303-1234561", "한결같", "1988-03-03")  # records and a copy from before the cut
BUSY = ("770707-2345672", "바쁜손", "1977-07-07")  # records deposited as the power goes
CODE = "45000001"
PILE = 400  # records whose events wait in the outbox while the relay is held
MiB = 1024 * 1024


def busy_record(n: int) -> dict[str, Any]:
    return record_body(*BUSY, inline(structured_medical(f"정전 중 진료 {n}"), STRUCTURED))


class Deposits:
    """Record PUTs sent one after another from a thread until told to stop; each answer (or the
    failure of the request) kept by external id."""

    def __init__(self, depositor: Depositor, transfer_id: str) -> None:
        self.depositor, self.transfer_id = depositor, transfer_id
        self.answers: dict[str, int | str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            external_id = f"flight-{n}"
            try:
                response = self.depositor.put_record(self.transfer_id, external_id, busy_record(n))
                self.answers[external_id] = response.status_code
            except httpx.HTTPError as error:
                self.answers[external_id] = type(error).__name__
            n += 1

    def answered(self) -> list[str]:
        return [e for e, status in list(self.answers.items()) if status in (200, 201)]

    def unanswered(self) -> list[str]:
        answered = set(self.answered())
        return [e for e in self.answers if e not in answered]


@dataclass
class BeforeTheCut:
    """What the people using the stack were told before the power went."""

    depositor: Depositor
    transfer_id: str
    contents: dict[str, bytes]  # external id: content, read back after the restart
    owner_records: list[str]
    copy: dict[str, Any]
    pdf: bytes
    deposits: Deposits | None = None
    pile: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def state() -> Iterator[Path]:
    """Outside pytest's temporary directories: another pytest run on the machine makes their
    root private to root again, and PostgreSQL (a user of its own) could not restart there."""
    with tempfile.TemporaryDirectory(prefix="medrec-power-cut-") as path:
        yield Path(path)


def test_a_power_cut_loses_nothing_answered_and_applies_nothing_twice(state: Path) -> None:
    # Durable engines: fsync on, the broker's log on the object store.
    cluster = Cluster(state).start()
    try:
        before = use_the_stack(cluster)
        cut_the_power_while_busy(cluster, before)
    except BaseException:
        cluster.stop()
        raise
    infra = start_infra(state)  # the engines alone first, to see what the outbox held
    try:
        at_cut = unsent_record_events(infra)
        assert at_cut, "the cut came after the relay had published everything"
        restarted = Cluster(state, infra=infra, ports=dict(cluster.ports)).start()
        try:
            check_nothing_lost_nor_doubled(restarted, before, at_cut)
        finally:
            restarted.stop()
    finally:
        infra.stop()


def use_the_stack(cluster: Cluster) -> BeforeTheCut:
    """One record inline, one streamed, a batch, and a certified copy issued."""
    depositor = Depositor(cluster, *Operator(cluster).register_client([CODE]))
    transfer_id = depositor.open_transfer(CODE, "한밤중내과의원")
    contents = {"inline-1": structured_medical("정전 전 진료")}
    stored = depositor.put_record(
        transfer_id, "inline-1", record_body(*OWNER, inline(contents["inline-1"], STRUCTURED))
    )
    assert stored.status_code == 201, stored.text

    # A DICOM file of 3 MiB and a bit (Part 10: a 128-byte preamble, then DICM), streamed in.
    noise = hashlib.sha256(b"power-cut").digest() * (3 * MiB // 32 + 1)
    scan = (b"\0" * 128 + b"DICM" + noise)[: 3 * MiB + 17]
    contents["scan-1"] = scan
    body = record_body(*OWNER, declared(scan, "application/dicom"))
    assert depositor.put_record(transfer_id, "scan-1", body).status_code == 201
    pieces = iter([scan[i : i + MiB] for i in range(0, len(scan), MiB)])
    streamed = depositor.put_content(
        transfer_id, "scan-1", pieces, "application/dicom", digest=content_digest(scan)
    )
    assert streamed.status_code == 201, streamed.text

    batch = {f"batch-{n}": structured_medical(f"묶음 진료 {n}") for n in range(20)}
    contents |= batch
    answers = depositor.batch(
        transfer_id,
        [batch_line(e, record_body(*OWNER, inline(c, STRUCTURED))) for e, c in batch.items()],
    )
    assert {a["status"] for a in answers} == {"created"}, answers

    ids = record_ids(cluster, transfer_id)
    eventually(
        lambda: in_catalog(cluster, [uuid.UUID(i) for i in ids.values()]) == 22,
        what="the owner's 22 records in catalog",
    )
    owner = Citizen(cluster, OWNER[1], OWNER[0])
    listed = listed_once(owner)
    copy = owner.request_copy([ids["inline-1"], ids["batch-0"]])
    copy = owner.wait_ready(copy["issuance_id"])
    return BeforeTheCut(
        depositor, transfer_id, contents, sorted(r["record_id"] for r in listed), copy,
        download(owner, copy["issuance_id"]),
    )  # fmt: skip


def cut_the_power_while_busy(cluster: Cluster, before: BeforeTheCut) -> None:
    """The relay is held while a batch and single deposits pile events in the outbox, then let
    go; once it has published part of the pile, every process dies at once."""
    cluster.stop_process("ingest", "worker")
    mark = sql(cluster, "ingest", "SELECT coalesce(max(id), 0) FROM outbox")[0][0]
    before.deposits = Deposits(before.depositor, before.transfer_id)
    before.deposits.thread.start()
    before.pile = [f"pile-{n}" for n in range(PILE)]
    answers = before.depositor.batch(
        before.transfer_id, [batch_line(e, busy_record(n)) for n, e in enumerate(before.pile)]
    )
    assert {a["status"] for a in answers} == {"created"}
    eventually(lambda: len(before.deposits.answered()) >= 20, what="deposits in flight")  # type: ignore[union-attr]
    # Small relay batches, so that the pile takes many transactions and the cut finds part of
    # it still in the outbox.
    cluster.start_process("ingest", "worker", {"MEDREC_INGEST_OUTBOX_RELAY_BATCH_SIZE": "5"})

    def relayed_some() -> bool:
        query = "SELECT count(*) FROM outbox WHERE id > $1 AND sent_at IS NOT NULL"
        return bool(sql(cluster, "ingest", query, mark)[0][0])

    eventually(relayed_some, what="the relay to publish part of the pile")
    cluster.crash()
    before.deposits.stop.set()
    before.deposits.thread.join(60)


def unsent_record_events(infra: Infra) -> dict[uuid.UUID, str]:
    """RecordStored events in ingest's outbox, not yet marked sent: event id to record id."""

    async def run() -> list[asyncpg.Record]:
        url = infra.database_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(f"{url}/medrec_ingest")
        try:
            return list(
                await conn.fetch(
                    "SELECT envelope->>'event_id' AS event_id, "
                    "envelope->'data'->>'record_id' AS record_id FROM outbox "
                    "WHERE sent_at IS NULL AND envelope->>'type' = 'RecordStored'"
                )
            )
        finally:
            await conn.close()

    return {uuid.UUID(r["event_id"]): r["record_id"] for r in asyncio.run(run())}


def check_nothing_lost_nor_doubled(
    cluster: Cluster, before: BeforeTheCut, at_cut: dict[uuid.UUID, str]
) -> None:
    assert before.deposits is not None
    depositor, transfer_id = before.depositor, before.transfer_id  # its token still holds
    # A deposit that got no answer is sent again, and is then stored once.
    for external_id in before.deposits.unanswered():
        again = depositor.put_record(
            transfer_id, external_id, busy_record(int(external_id.split("-")[1]))
        )
        assert again.status_code in (200, 201), again.text
    rows = sql(
        cluster,
        "ingest",
        "SELECT external_id, record_id FROM records WHERE transfer_id = $1",
        uuid.UUID(transfer_id),
    )
    external_ids = [r["external_id"] for r in rows]
    assert len(external_ids) == len(set(external_ids)), "a record stored twice"
    lost = set(before.deposits.answered()) | set(before.pile) | set(before.contents)
    assert lost - set(external_ids) == set(), "records answered before the cut are lost"

    # Every record is listed exactly once for its owner.
    record_ids = [uuid.UUID(str(r["record_id"])) for r in rows]
    eventually(
        lambda: in_catalog(cluster, record_ids) == len(record_ids), what="catalog to catch up"
    )
    owner = Citizen(cluster, OWNER[1], OWNER[0])
    assert sorted(r["record_id"] for r in listed_once(owner)) == before.owner_records
    busy_ids = {str(r["record_id"]) for r in rows if r["external_id"] not in before.contents}
    busy = Citizen(cluster, BUSY[1], BUSY[0])
    assert {r["record_id"] for r in listed_once(busy)} == busy_ids

    # The events left in the outbox at the cut were delivered, and applied once each.
    for event_id, record_id in at_cut.items():
        inbox = sql(
            cluster,
            "catalog",
            "SELECT count(*) FROM inbox WHERE event_id = $1",
            event_id,
        )
        assert inbox[0][0] == 1, f"event {event_id} applied {inbox[0][0]} times"
        catalog = sql(
            cluster,
            "catalog",
            "SELECT count(*) FROM records WHERE record_id = $1",
            uuid.UUID(record_id),
        )
        assert catalog[0][0] == 1

    # Content reads back byte for byte.
    reader = service_client(cluster, Operator(cluster), "ingest", ["content:read"])
    ids = {r["external_id"]: str(r["record_id"]) for r in rows}
    for external_id, content in before.contents.items():
        got = reader.get(
            f"/internal/v1/records/{ids[external_id]}/content", params={"purpose": "certified_copy"}
        )
        assert got.status_code == 200, (external_id, got.text)
        assert got.content == content, external_id

    # The copy issued before the cut downloads unchanged and still verifies.
    assert download(owner, before.copy["issuance_id"]) == before.pdf
    public = httpx.Client(base_url=cluster.url("issuance"), timeout=60)
    number, code = before.copy["issuance_number"], before.copy["verification_code"]
    checked = public.get("/v1/verify", params={"number": number, "code": code}).json()
    assert checked["valid"] is True and checked["sha256"] == before.copy["sha256"]
    uploaded = public.post(
        "/v1/verify", files={"file": ("copy.pdf", before.pdf, "application/pdf")}
    ).json()
    assert uploaded == {
        "valid": True,
        "issuance_number": number,
        "document_type": "record_copy",
        "document_label": "진료기록 사본",
    }
