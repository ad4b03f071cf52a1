"""Completion is not a shrug: the kit's declaration of an export (counts by kind and specialty,
the service period, each line's content digest) and what `push --complete` does when lines are
left out (the transfer stays open, exit 1, the fix said) or not (completed with the declaration,
the receipt saved), and `--complete-with-missing`.

ingest here is a stand-in (httpx.MockTransport, as the kit's other unit tests fake the services
it calls): it stores what it is sent, refuses every line while told to (one field), and answers
the receipt 409 once before the PDF. The real service: tests/e2e/test_transfer_kit.py."""

import argparse
import base64
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_transfer import AsyncTransferClient, RetryPolicy
from medrec_transfer.cli import OK, SOME_INVALID, UNREACHABLE, conclude
from medrec_transfer.declaration import declare
from medrec_transfer.digest import file_sha256
from medrec_transfer.export import load_export
from medrec_transfer.progress import PlainReporter
from medrec_transfer.push import RECEIPT_FILE, Outcome, Push
from medrec_transfer.sample import write_export
from medrec_transfer.schema import carried

PDF = b"%PDF-1.7 receipt"
REFUSED_FIELD = "patient.birth_date"


def lines_of(root: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (root / "records.ndjson").read_text().splitlines()]


def content_of(root: Path, line: dict[str, Any]) -> bytes:
    content = line["content"]
    if "file" in content:
        return (root / content["file"]).read_bytes()
    return base64.b64decode(content["data_base64"])


# -- the declaration --------------------------------------------------------------------------
def test_the_declaration_counts_kinds_and_specialties_spans_the_period_and_lists_each_digest(
    tmp_path: Path,
) -> None:
    root = write_export(tmp_path / "export", records=12)
    lines = lines_of(root)
    hashed: list[Path] = []

    def digest(path: Path) -> str:
        hashed.append(path)
        return file_sha256(path)

    declaration = declare(load_export(root, carried()), digest)

    kinds: dict[str, int] = {}
    specialties: dict[str, int] = {}
    for line in lines:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
        specialties[line["specialty"]] = specialties.get(line["specialty"], 0) + 1
    assert declaration.counts == kinds and sum(kinds.values()) == len(lines)
    assert declaration.specialties == specialties
    assert declaration.period == (
        min(x["service_start"] for x in lines),
        max(x["service_end"] for x in lines),
    )
    assert declaration.manifest == [
        (x["external_id"], hashlib.sha256(content_of(root, x)).hexdigest()) for x in lines
    ]
    # The files' contents are hashed through the push's cache, each once.
    assert sorted(p.name for p in hashed) == sorted(
        Path(x["content"]["file"]).name for x in lines if "file" in x["content"]
    )
    body = declaration.as_json()
    assert body["period"] == {"from": declaration.period[0], "to": declaration.period[1]}
    assert body["manifest"][0] == {"external_id": lines[0]["external_id"],
                                   "sha256": declaration.manifest[0][1]}  # fmt: skip
    assert "manifest" not in declaration.as_json(with_manifest=False)


def test_a_line_invalid_for_a_fixable_field_is_declared_and_one_without_an_id_is_not(
    tmp_path: Path,
) -> None:
    root = write_export(tmp_path / "export", records=4)
    lines = lines_of(root)
    lines[0]["kind"] = "x_ray"  # refused, fixable: declared (manifest), not counted as a kind
    lines[1]["external_id"] = "has space"  # names no record the service could hold
    lines.append(lines[2] | {"service_start": "2001-01-01"})  # the same external_id again
    (root / "records.ndjson").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines) + "not json\n"
    )
    export = load_export(root, carried())
    assert len(export.problems) == 4

    declaration = declare(export, file_sha256)

    declared = declaration.external_ids
    assert lines[0]["external_id"] in declared
    assert "has space" not in declared
    assert declared.count(lines[2]["external_id"]) == 1
    assert len(declared) == len(lines) - 2
    assert sum(declaration.counts.values()) == len(declared) - 1
    assert "x_ray" not in declaration.counts
    assert declaration.period is not None and declaration.period[0] != "2001-01-01"


# -- push --complete against a stand-in ingest --------------------------------------------------
class StandIn:
    """One transfer: records kept by external_id, lines refused while `refusing`."""

    def __init__(self) -> None:
        self.refusing = True
        self.transfer: dict[str, Any] | None = None
        self.records: dict[str, dict[str, Any]] = {}
        self.opened: list[dict[str, Any]] = []
        self.completions: list[dict[str, Any]] = []
        self.receipt_asked = 0
        self.receipt_made_after = 1  # asks answered 409 "being made"

    def _transfer(self) -> dict[str, Any]:
        assert self.transfer is not None
        stored = [r for r in self.records.values() if r["status"] == "stored"]
        counts = {"received": len(self.records), "stored": len(stored), "failed": 0,
                  "expired_on_arrival": 0, "bytes": 0}  # fmt: skip
        return self.transfer | {"counts": counts}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        if path == "/v1/transfers" and method == "GET":
            items = [self._transfer()] if self.transfer else []
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        if path == "/v1/transfers" and method == "POST":
            body = json.loads(request.content)
            self.opened.append(body)
            self.transfer = {
                "transfer_id": str(uuid.uuid4()), "status": "open",
                "institution": body["institution"], "reason": body["reason"],
                "effective_date": body["effective_date"], "record_count": None,
            }  # fmt: skip
            return httpx.Response(201, json=self._transfer())
        assert self.transfer is not None
        base = f"/v1/transfers/{self.transfer['transfer_id']}"
        if path == base:
            return httpx.Response(200, json=self._transfer())
        if path == f"{base}/records:batch":
            return self._batch(request.content)
        if found := re.fullmatch(f"{base}/records/([^/]+)(/content)?", path):
            external_id, content = found.groups()
            if content:
                self.records[external_id]["status"] = "stored"
            elif self.refusing:
                return problem(422, [{"field": REFUSED_FIELD, "message": "must not be ahead"}])
            else:
                self.records[external_id] = {"status": "awaiting_content"}
            record = {"record_id": external_id, "external_id": external_id,
                      "status": self.records[external_id]["status"]}  # fmt: skip
            return httpx.Response(201, json=record)
        if path == f"{base}/complete":
            body = json.loads(request.content)
            self.completions.append(body)
            self.transfer |= {"status": "completed", "record_count": body["record_count"]}
            declared = {i["external_id"] for i in body["declared"]["manifest"]}
            missing = sorted(declared - set(self.records))
            reconciliation = {"matches": not missing, "differences": [], "missing": missing,
                              "unexpected": [], "digest_mismatch": []}  # fmt: skip
            return httpx.Response(200, json=self._transfer() | {"reconciliation": reconciliation})
        if path == f"{base}/receipt":
            self.receipt_asked += 1
            if self.receipt_asked <= self.receipt_made_after:
                return problem(409, [], headers={"Retry-After": "1"})
            headers = {"Content-Disposition": 'attachment; filename="MR-20261207-00C0FFEE.pdf"',
                       "Medrec-Issuance-Number": "MR-20261207-00C0FFEE"}  # fmt: skip
            return httpx.Response(200, content=PDF, headers=headers)
        return problem(404, [])

    def _batch(self, content: bytes) -> httpx.Response:
        answers = []
        for number, raw in enumerate(content.splitlines(), start=1):
            external_id = json.loads(raw)["external_id"]
            answer: dict[str, Any] = {"line": number, "external_id": external_id}
            if self.refusing:
                errors = [{"field": REFUSED_FIELD, "message": "must not be ahead"}]
                refused = {"type": "invalid-record", "title": "Not valid", "status": 422,
                           "errors": errors}  # fmt: skip
                answer |= {"status": "invalid", "problem": refused}
            else:
                self.records[external_id] = {"status": "stored"}
                answer |= {"status": "created", "record_id": external_id}
            answers.append(json.dumps(answer))
        return httpx.Response(200, text="\n".join(answers) + "\n")


def problem(
    status: int, errors: list[dict[str, str]], headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"type": "x", "title": "Refused", "status": status, "errors": errors}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def ingest() -> StandIn:
    return StandIn()


async def push(
    root: Path, ingest: StandIn, *, complete: bool = True, with_missing: bool = False
) -> tuple[Outcome, int]:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    client = AsyncTransferClient(
        identity_url="https://identity", ingest_url="https://ingest", client_id="vendor",
        client_secret="s3cret", transport=httpx.MockTransport(ingest.handle),
        retry=RetryPolicy(rand=lambda: 1.0), sleep=sleep, clock=lambda: now[0],
    )  # fmt: skip
    async with client:
        outcome = await Push(
            load_export(root, carried()), client, PlainReporter(), complete=complete,
            with_missing=with_missing, receipt_wait=30,
        ).run()  # fmt: skip
    args = argparse.Namespace(export_dir=root, complete=complete, receipt_wait=30,
                              complete_with_missing=with_missing)  # fmt: skip
    return outcome, conclude(outcome, args)


@pytest.fixture
def export(tmp_path: Path) -> Iterator[Path]:
    yield write_export(tmp_path / "export", records=6)


async def test_every_line_refused_leaves_the_transfer_open_and_exits_1_with_the_fix_named(
    export: Path, ingest: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    total = len(lines_of(export))

    outcome, code = await push(export, ingest)

    assert code == SOME_INVALID
    assert outcome.held_open and not outcome.completed and ingest.completions == []
    assert ingest.transfer is not None and ingest.transfer["status"] == "open"
    said = capsys.readouterr().err
    assert f"not completed: {total} of {total} line(s)" in said
    assert f"{total} line(s): {REFUSED_FIELD}: must not be ahead" in said
    assert "medrec-report.ndjson" in said and "run the same command again" in said
    assert "--complete-with-missing" in said
    report = [json.loads(x) for x in (export / "medrec-report.ndjson").read_text().splitlines()]
    assert len(report) == total
    assert not (export / RECEIPT_FILE).exists()
    # The declaration went with the opening: every line, though every one was then refused.
    declared = ingest.opened[0]["declared"]
    assert [i["external_id"] for i in declared["manifest"]] == [
        x["external_id"] for x in lines_of(export)
    ]
    assert sum(declared["counts"].values()) == total


async def test_the_corrected_push_stores_the_rest_completes_and_saves_the_receipt(
    export: Path, ingest: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    await push(export, ingest)
    ingest.refusing = False  # the vendor corrects the field

    outcome, code = await push(export, ingest)

    assert code == OK, capsys.readouterr()
    assert outcome.completed and len(ingest.opened) == 1  # the same transfer
    [completion] = ingest.completions
    total = len(lines_of(export))
    assert completion["record_count"] == total and "allow_missing" not in completion
    assert len(completion["declared"]["manifest"]) == total
    assert (export / RECEIPT_FILE).read_bytes() == PDF
    assert ingest.receipt_asked == 2  # 409 "being made", then the PDF
    assert "MR-20261207-00C0FFEE" in capsys.readouterr().out
    assert json.loads((export / ".medrec-transfer-state.json").read_text())["receipt_number"] == (
        "MR-20261207-00C0FFEE"
    )

    # Run again: nothing sent, the receipt not fetched again.
    outcome, code = await push(export, ingest)
    assert code == OK and ingest.receipt_asked == 2 and len(ingest.completions) == 1


async def test_complete_with_missing_completes_and_names_the_lines_left_out(
    export: Path, ingest: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = lines_of(export)
    spoiled = lines[1] | {"kind": "x_ray"}  # refused here, before anything is sent
    (export / "records.ndjson").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [lines[0], spoiled, *lines[2:]])
    )
    ingest.refusing = False

    _, code = await push(export, ingest)
    assert code == SOME_INVALID and ingest.completions == []  # --complete: not completed
    capsys.readouterr()

    outcome, code = await push(export, ingest, with_missing=True)

    assert code == OK and outcome.completed
    [completion] = ingest.completions
    assert completion["allow_missing"] is True
    assert completion["record_count"] == len(lines) - 1
    assert spoiled["external_id"] not in completion["external_ids"]
    assert spoiled["external_id"] in {i["external_id"] for i in completion["declared"]["manifest"]}
    out = capsys.readouterr().out
    assert f"1 line(s) left out, declared missing: line 2 ({spoiled['external_id']})" in out
    assert (export / RECEIPT_FILE).read_bytes() == PDF


async def test_a_receipt_not_made_in_time_exits_3_and_the_same_command_fetches_it(
    export: Path, ingest: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest.refusing = False
    ingest.receipt_made_after = 1_000_000  # 409 for ever, as far as this push waits
    _, code = await push(export, ingest)
    assert code == UNREACHABLE and ingest.transfer is not None
    assert ingest.transfer["status"] == "completed" and not (export / RECEIPT_FILE).exists()
    assert "run the same command again" in capsys.readouterr().err

    ingest.receipt_made_after = 0
    _, code = await push(export, ingest)
    assert code == OK and (export / RECEIPT_FILE).read_bytes() == PDF


async def test_complete_with_missing_does_not_complete_a_transfer_that_holds_nothing(
    export: Path, ingest: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome, code = await push(export, ingest, with_missing=True)

    assert code == SOME_INVALID and outcome.held_open and ingest.completions == []
    assert "does not complete a transfer that holds nothing" in capsys.readouterr().err
