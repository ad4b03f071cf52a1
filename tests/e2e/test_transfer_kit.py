"""`medrec-transfer push` as an EMR vendor runs it: a subprocess against the running cluster,
killed with SIGKILL part way, run again, run a third time; with a bad line, a wrong secret, and
ingest's api stopped for a while under it; an export of KR Core bundles stored and listed for its
patient, a broken one named by FHIRPath by the kit and by ingest. Completion is the handover: a
push whose lines were all refused leaves the transfer open and says how to fix it, the corrected
push completes it and saves the 이관확인서; --complete-with-missing completes with the lines left
out named."""

import base64
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psutil
import pytest

from medrec_devstack.cluster import Cluster
from medrec_transfer import sample_krcore
from medrec_transfer.sample import write_export
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import new_code
from tests.support.identity_lab import new_name, new_phone, new_rrn
from tests.support.ingest import IngestStore
from tests.support.krcore_export import write_broken_export
from tests.support.pdfs import pdf_text, squeezed
from tests.support.stack import sql

pytestmark = pytest.mark.e2e
COMMAND = str(Path(sys.executable).parent / "medrec-transfer")
STRUCTURED = "application/vnd.medrec.record+json"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def operator(cluster: Cluster) -> Operator:
    return Operator(cluster)


class Vendor:
    """An EMR vendor's export for a fresh institution code, and the client registered for it."""

    def __init__(
        self,
        cluster: Cluster,
        operator: Operator,
        root: Path,
        writer: Callable[..., Path] = write_export,
        **export: Any,
    ) -> None:
        self.cluster = cluster
        self.code = new_code()
        self.client_id, self.secret = operator.register_client([self.code])
        self.institution = {"code": self.code, "name": "새봄종합병원", "type": "병원",
                            "address": "광주광역시 동구 금남로 4", "region": "광주"}  # fmt: skip
        self.root = writer(root, institution=self.institution, **export)
        self.lines = [json.loads(x) for x in (root / "records.ndjson").read_text().splitlines()]

    def secret_file(self, secret: str) -> Path:
        """The secret as a vendor keeps it: a file only its owner reads, off the command line."""
        path = self.root.parent / f"{self.root.name}-secret-{len(secret)}"
        path.write_text(secret + "\n")
        path.chmod(0o600)
        return path

    def args(self, *extra: str, secret: str | None = None) -> list[str]:
        return [
            COMMAND, "push", str(self.root),
            "--identity-url", self.cluster.url("identity"),
            "--ingest-url", self.cluster.url("ingest"),
            "--client-id", self.client_id,
            "--client-secret-file", str(self.secret_file(secret or self.secret)), *extra,
        ]  # fmt: skip

    def push(self, *extra: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.args(*extra, secret=secret), capture_output=True, text=True, timeout=300
        )

    def start(self, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.root.parent / f"{self.root.name}-push.log"
        with log.open("wb") as out:
            process = subprocess.Popen(self.args(*extra), stdout=out, stderr=subprocess.STDOUT)
        return process, log

    def rewrite(self, lines: list[dict[str, Any]]) -> None:
        (self.root / "records.ndjson").write_text(
            "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
        )

    def state(self) -> dict[str, Any]:
        try:
            body: dict[str, Any] = json.loads(
                (self.root / ".medrec-transfer-state.json").read_text()
            )
        except (FileNotFoundError, ValueError):
            return {}
        return body

    def transfer(self) -> dict[str, Any]:
        return Depositor(self.cluster, self.client_id, self.secret).transfer(
            self.state()["transfer_id"]
        )


def held(cluster: Cluster, transfer_id: str) -> list[dict[str, Any]]:
    rows = sql(
        cluster, "ingest",
        "SELECT external_id, status, stored_at, object_key FROM records WHERE transfer_id = $1",
        uuid.UUID(transfer_id),
    )  # fmt: skip
    return [dict(row) for row in rows]


def test_a_push_killed_part_way_carries_on_and_stores_nothing_twice(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=300, file_sizes=[6 * MiB] * 4)
    total = len(vendor.lines)
    store = IngestStore(cluster)
    before = store.objects()
    first, _ = vendor.start("--complete", "--batch-size", "10", "--concurrency", "2")
    progressed = eventually(
        lambda: len(vendor.state().get("stored", [])) >= 40 or first.poll() is not None,
        timeout=120, what="the push to store some records",
    )  # fmt: skip
    assert progressed
    first.send_signal(signal.SIGKILL)
    assert first.wait(30) == -signal.SIGKILL, "the push ended before it could be killed"
    at_kill = len(vendor.state()["stored"])
    assert 0 < at_kill < total and not vendor.state()["completed"]

    again = vendor.push("--complete")
    assert again.returncode == 0, again.stdout + again.stderr
    receipt = vendor.root / "medrec-receipt.pdf"
    assert receipt.read_bytes().startswith(b"%PDF")
    assert vendor.state()["receipt_number"] in again.stdout
    transfer = vendor.transfer()
    transfer_id = transfer["transfer_id"]
    assert transfer["status"] == "completed"
    assert transfer["record_count"] == total
    assert transfer["counts"]["received"] == transfer["counts"]["stored"] == total
    assert transfer["counts"]["failed"] == 0
    file_bytes = sum(p.stat().st_size for p in (vendor.root / "files").iterdir())
    assert transfer["counts"]["bytes"] >= file_bytes
    rows = held(cluster, transfer_id)
    assert sorted(r["external_id"] for r in rows) == sorted(x["external_id"] for x in vendor.lines)
    assert {r["status"] for r in rows} == {"stored"}
    # Stored once: one announcement per record, and no content object but those the records
    # point at (their own, or their batch group's segment): no second copy, no upload left
    # behind by the kill.
    announced = [e["data"]["record_id"] for e in store.events(transfer_id, "RecordStored")]
    assert len(announced) == len(set(announced)) == total
    assert store.new_objects(before) == {r["object_key"] for r in rows}

    saved = receipt.stat().st_mtime_ns
    third = vendor.push("--complete")
    assert third.returncode == 0, third.stdout + third.stderr
    assert receipt.stat().st_mtime_ns == saved  # not fetched again
    assert held(cluster, transfer_id) == rows
    assert vendor.transfer()["counts"] == transfer["counts"]
    assert len(store.events(transfer_id, "RecordStored")) == total

    status = subprocess.run(
        [COMMAND, "status", str(vendor.root), "--identity-url", cluster.url("identity"),
         "--ingest-url", cluster.url("ingest")],
        capture_output=True, text=True, timeout=60,
        env=os.environ | {"MEDREC_CLIENT_ID": vendor.client_id,
                          "MEDREC_CLIENT_SECRET": vendor.secret},
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["transfer"]["status"] == "completed"
    assert shown["transfer"]["counts"]["stored"] == total


def test_a_line_with_a_bad_kind_is_reported_the_rest_stored_and_the_transfer_left_open(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=12)
    bad = vendor.lines[3] | {"kind": "x_ray"}
    vendor.rewrite([*vendor.lines[:3], bad, *vendor.lines[4:]])

    result = vendor.push("--complete")
    assert result.returncode == 1, result.stdout + result.stderr
    report = (vendor.root / "medrec-report.ndjson").read_text()
    entries = [json.loads(x) for x in report.splitlines()]
    assert [(e["line"], e["external_id"]) for e in entries] == [(4, bad["external_id"])]
    assert entries[0]["problem"]["errors"][0]["field"] == "kind"
    assert bad["external_id"] in result.stderr and "kind" in result.stderr
    for personal in (bad["patient"]["name"], bad["patient"]["rrn"]):
        assert personal not in report and personal not in result.stderr + result.stdout
    transfer = vendor.transfer()
    assert transfer["status"] == "open"  # not completed: a line is left out
    assert transfer["counts"]["stored"] == len(vendor.lines) - 1
    assert bad["external_id"] not in {
        r["external_id"] for r in held(cluster, transfer["transfer_id"])
    }


def test_a_push_whose_lines_were_all_refused_stays_open_and_the_corrected_push_completes_it(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=20)
    total = len(vendor.lines)
    # One fixable field, wrong on every line: the service refuses dates ahead of today.
    vendor.rewrite([x | {"service_start": "2099-01-02", "service_end": "2099-01-03"}
                    for x in vendor.lines])  # fmt: skip

    refused = vendor.push("--complete")

    assert refused.returncode == 1, refused.stdout + refused.stderr
    said = refused.stderr
    assert f"not completed: {total} of {total} line(s) of records.ndjson are not stored" in said
    assert "service_start: must not be in the future" in said
    assert str(vendor.root / "medrec-report.ndjson") in said
    assert "run the same command again" in said and "--complete-with-missing" in said
    transfer = vendor.transfer()
    assert transfer["status"] == "open" and transfer["counts"]["stored"] == 0
    assert not (vendor.root / "medrec-receipt.pdf").exists()

    vendor.rewrite(vendor.lines)  # the vendor corrects the dates
    corrected = vendor.push("--complete")

    assert corrected.returncode == 0, corrected.stdout + corrected.stderr
    completed = vendor.transfer()
    assert completed["transfer_id"] == transfer["transfer_id"]
    assert completed["status"] == "completed" and completed["record_count"] == total
    assert completed["counts"]["stored"] == total
    # The declaration went with it and matches what is stored.
    assert "declaration" not in refused.stderr + corrected.stderr
    assert completed["reconciliation"]["matches"] is True
    assert completed["reconciliation"]["missing"] == []
    assert (vendor.root / "medrec-receipt.pdf").read_bytes().startswith(b"%PDF")
    number = vendor.state()["receipt_number"]
    assert number.startswith("MR-")
    assert f"이관확인서 (receipt) {number}: saved as" in corrected.stdout
    assert [e["data"]["transfer_id"] for e in IngestStore(cluster).events(
        transfer["transfer_id"], "TransferCompleted")] == [transfer["transfer_id"]]  # fmt: skip


def test_complete_with_missing_completes_and_names_the_lines_left_out(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=8)
    left = vendor.lines[2] | {"service_start": "2099-01-02", "service_end": "2099-01-03"}
    vendor.rewrite([*vendor.lines[:2], left, *vendor.lines[3:]])

    result = vendor.push("--complete-with-missing")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"completed with 1 line(s) left out, declared missing: line 3 ({left['external_id']})"
        in result.stdout
    )
    transfer = vendor.transfer()
    assert transfer["status"] == "completed"
    assert transfer["record_count"] == transfer["counts"]["stored"] == len(vendor.lines) - 1
    # Declared, not stored: the service names it missing, and so does the receipt.
    assert transfer["reconciliation"]["matches"] is False
    assert transfer["reconciliation"]["missing"] == [left["external_id"]]
    text = squeezed(pdf_text((vendor.root / "medrec-receipt.pdf").read_bytes()))
    assert "이관되지않은기록1건" in text and left["external_id"] in text


def test_a_wrong_secret_exits_2_with_one_clear_line(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=3)
    result = vendor.push(secret="not-the-secret")
    assert result.returncode == 2
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, result.stderr
    assert "client credentials" in lines[0] and "not-the-secret" not in lines[0]
    assert not vendor.state().get("transfer_id")  # nothing was opened


def test_a_secret_on_the_command_line_is_still_taken_with_a_warning(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=3)
    args = [a for a in vendor.args("--complete") if a != "--client-secret-file"]
    # One argument: a secret may begin with "-", which argparse would take for an option.
    args[args.index(str(vendor.secret_file(vendor.secret)))] = f"--client-secret={vendor.secret}"
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    warning = result.stderr.splitlines()[0]
    assert warning.startswith("medrec-transfer: warning: --client-secret")
    assert "process list" in warning and vendor.secret not in result.stderr
    assert vendor.transfer()["counts"]["stored"] == len(vendor.lines)


def test_the_push_waits_while_ingest_is_down_and_carries_on(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=150, file_sizes=[4 * MiB] * 2)
    process, log = vendor.start("--complete", "--batch-size", "5", "--concurrency", "1")
    try:
        eventually(
            lambda: len(vendor.state().get("stored", [])) >= 10 or process.poll() is not None,
            timeout=120, what="the push to store some records",
        )  # fmt: skip
        assert process.poll() is None, log.read_text()
        cluster.stop_process("ingest", "api")
        try:
            eventually(lambda: "trying again" in log.read_text(), timeout=60,
                       what="the push to notice the service is down")  # fmt: skip
            assert process.poll() is None, log.read_text()  # waiting, not given up
        finally:
            cluster.start_process("ingest", "api")
            cluster.wait_ready("ingest")
        assert process.wait(180) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    transfer = vendor.transfer()
    assert transfer["status"] == "completed"
    assert transfer["counts"]["stored"] == transfer["counts"]["received"] == len(vendor.lines)


def test_a_large_file_is_pushed_in_constant_memory(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=1, file_sizes=[96 * MiB])
    process, log = vendor.start()
    samples = []
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            samples.append(watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.02)
    assert process.returncode == 0, log.read_text()
    assert max(samples) < 100 * MiB, f"peak RSS {max(samples) / MiB:.0f} MiB"


def _with_document(line: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    data = base64.b64encode(json.dumps(document, ensure_ascii=False).encode()).decode()
    return line | {"content": line["content"] | {"data_base64": data}}


def test_v2_records_are_pushed_and_a_bill_that_does_not_add_up_is_refused_by_its_field(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    vendor = Vendor(cluster, operator, tmp_path / "export", records=3)
    v2_lines = [x for x in vendor.lines if b'"schema_version": "2"' in _content(x)]
    assert len(v2_lines) == 2
    spoiled_line = v2_lines[0] | {"external_id": "v2-spoiled"}
    document = json.loads(_content(spoiled_line))
    document["bills"][1]["total"] += 1000
    spoiled_line = _with_document(spoiled_line, document)
    records = vendor.root / "records.ndjson"
    records.write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [*vendor.lines, spoiled_line])
    )

    # The kit: the spoiled line reported by its field before anything is sent, the rest stored.
    result = vendor.push("--complete")
    assert result.returncode == 1, result.stdout + result.stderr
    entries = [
        json.loads(x) for x in (vendor.root / "medrec-report.ndjson").read_text().splitlines()
    ]
    assert [e["external_id"] for e in entries] == ["v2-spoiled"]
    assert entries[0]["problem"]["errors"] == [
        {"field": "content.bills[1].total",
         "message": "differs from the sum of every line's four amounts"}
    ]  # fmt: skip
    transfer = vendor.transfer()
    stored = {r["external_id"]: r["status"] for r in held(cluster, transfer["transfer_id"])}
    assert all(stored[x["external_id"]] == "stored" for x in v2_lines)

    # The service, sent the same bill without the kit: one record, a batch line, streamed.
    client = Depositor(cluster, vendor.client_id, vendor.secret)
    transfer_id = client.open_transfer(vendor.code, "새봄종합병원", effective_date="2026-02-01")
    body = {k: v for k, v in spoiled_line.items() if k != "external_id"}
    refused = client.put_record(transfer_id, "v2-put", body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["content.bills[1].total"]
    answers = client.batch(transfer_id, [spoiled_line | {"external_id": "v2-batch"}])
    assert answers[0]["status"] == "invalid"
    assert answers[0]["problem"]["errors"][0]["field"] == "content.bills[1].total"
    data = _content(spoiled_line)
    declared = body | {"content": {"content_type": STRUCTURED, "size": len(data),
                                   "sha256": hashlib.sha256(data).hexdigest()}}  # fmt: skip
    assert client.put_record(transfer_id, "v2-stream", declared).status_code == 201
    streamed = client.put_content(transfer_id, "v2-stream", data, STRUCTURED)
    assert streamed.status_code == 422, streamed.text
    assert [e["field"] for e in streamed.json()["errors"]] == ["content.bills[1].total"]
    for personal in (body["patient"]["name"], body["patient"]["rrn"], "관절경"):
        assert personal not in refused.text + json.dumps(answers, ensure_ascii=False)
    # nothing of the refused ones stored
    rows = {r["external_id"]: r["status"] for r in held(cluster, transfer_id)}
    assert "v2-put" not in rows and "v2-batch" not in rows
    assert rows.get("v2-stream") != "stored"


def _content(line: dict[str, Any]) -> bytes:
    return base64.b64decode(line["content"].get("data_base64", ""))


def test_a_krcore_export_is_stored_for_its_patient_and_a_broken_bundle_named_by_its_fhirpath(
    cluster: Cluster, operator: Operator, tmp_path: Path
) -> None:
    born = date(1979, 3, 14)
    name, rrn = new_name(), new_rrn(born, "female")
    who = {"rrn": rrn, "name": name, "birth_date": born.isoformat(), "sex": "female"}
    vendor = Vendor(cluster, operator, tmp_path / "krcore", writer=sample_krcore.write_export,
                    people=[who] * 3)  # fmt: skip

    # The KR Core export: every bundle (inline and a file) stored as sent, completed.
    result = vendor.push("--complete")
    assert result.returncode == 0, result.stdout + result.stderr
    transfer = vendor.transfer()
    assert transfer["status"] == "completed" and transfer["counts"]["stored"] == 3
    sent = {x["external_id"]: _sent_size(vendor.root, x) for x in vendor.lines}
    citizen = Citizen(cluster, name, rrn, phone=new_phone())

    def listed() -> list[dict[str, Any]] | None:
        found = citizen.records()
        return found if len(found) == 3 else None

    records = eventually(listed, timeout=60, what="the three KR Core records in catalog")
    # Stored as sent, byte for byte in size, under the FHIR content type.
    assert sorted((r["specialty"], r["content_type"], r["size"]) for r in records) == sorted(
        (x["specialty"], sample_krcore.FHIR_JSON, sent[x["external_id"]]) for x in vendor.lines
    )
    assert {r["institution"]["code"] for r in records} == {vendor.code}

    # The broken copy: `validate` names each line's FHIRPath, the push refuses them the same
    # way before sending any, and the transfer is left open holding nothing.
    broken = Vendor(cluster, operator, tmp_path / "broken", writer=sample_krcore.write_export)
    expected = write_broken_export(broken.root, institution=broken.institution)
    checked = subprocess.run(
        [COMMAND, "validate", str(broken.root)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    for external_id, field in expected.items():
        assert f"({external_id}): invalid record" in checked.stderr and field in checked.stderr
    pushed = broken.push("--complete")
    assert pushed.returncode == 1, pushed.stdout + pushed.stderr
    entries = [
        json.loads(x) for x in (broken.root / "medrec-report.ndjson").read_text().splitlines()
    ]
    reported = {e["external_id"]: [x["field"] for x in e["problem"]["errors"]] for e in entries}
    assert set(reported) == set(expected)
    assert all(expected[k] in fields for k, fields in reported.items())
    assert broken.transfer()["counts"]["stored"] == 0
    lines = [json.loads(x) for x in (broken.root / "records.ndjson").read_text().splitlines()]
    for line in lines:
        for value in (line["patient"]["name"], line["patient"]["rrn"]):
            assert value not in checked.stderr + pushed.stderr + pushed.stdout

    # ingest, sent the same bundles without the kit: 422 with the same field, nothing stored.
    client = Depositor(cluster, broken.client_id, broken.secret)
    transfer_id = client.open_transfer(broken.code, "새봄종합병원", effective_date="2026-02-01")
    for line in lines[:2]:  # the inline ones: wrong KCD system, no Patient.identifier
        body = {k: v for k, v in line.items() if k != "external_id"}
        refused = client.put_record(transfer_id, line["external_id"], body)
        assert refused.status_code == 422, refused.text
        assert expected[line["external_id"]] in [e["field"] for e in refused.json()["errors"]]
        answers = client.batch(transfer_id, [line | {"external_id": f"{line['external_id']}-b"}])
        assert answers[0]["status"] == "invalid"
        assert expected[line["external_id"]] in [
            e["field"] for e in answers[0]["problem"]["errors"]
        ]
        for value in (line["patient"]["name"], line["patient"]["rrn"]):
            assert value not in refused.text + json.dumps(answers, ensure_ascii=False)
    assert held(cluster, transfer_id) == []


def _sent_size(root: Path, line: dict[str, Any]) -> int:
    content = line["content"]
    if "file" in content:
        return (root / content["file"]).stat().st_size
    return len(base64.b64decode(content["data_base64"]))
