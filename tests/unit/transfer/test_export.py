"""The transfer kit's local check of an export, against the schema ingest really publishes (its
OpenAPI document, built here from the service's app without a server): what is wrong is named by
line and field, never by the refused value, and the lines that are fine go on."""

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from medrec_ingest.app import create_app
from medrec_ingest.deposit.validation import document_errors
from medrec_ingest.settings import IngestSettings
from medrec_transfer import bills
from medrec_transfer.cli import main
from medrec_transfer.export import ExportError, load_export
from medrec_transfer.sample import structured_v2, write_export
from medrec_transfer.schema import carried, extract
from medrec_transfer.state import State

EXAMPLE = Path(__file__).parents[3] / "examples" / "export"
STRONG = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    settings = IngestSettings(
        environment="local",
        database_url="postgresql+asyncpg://medrec@127.0.0.1:1/medrec",
        kafka_bootstrap_servers="127.0.0.1:1",
        identity_url="http://127.0.0.1:1",
        s3_url="http://127.0.0.1:1",
        s3_access_key="medrec",
        s3_secret_key=STRONG,
        content_keys=f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        content_key_active="kek-1",
        person_index_key=STRONG,
    )
    document: dict[str, Any] = create_app(settings).openapi()
    return document


def lines_of(root: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (root / "records.ndjson").read_text().splitlines()]


def rewrite(root: Path, lines: list[dict[str, Any] | str]) -> None:
    (root / "records.ndjson").write_text(
        "".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n"
                for x in lines)
    )  # fmt: skip


def test_the_example_export_in_the_repository_is_valid(openapi: dict[str, Any]) -> None:
    export = load_export(EXAMPLE, openapi)
    assert export.problems == []
    assert {line.content_type for line in export.lines if line.file} == {
        "application/pdf", "application/dicom",
    }  # fmt: skip
    specialties = {json.loads(x)["specialty"] for x in (EXAMPLE / "records.ndjson").open()}
    assert specialties == {"medical", "dental", "korean_medicine"}
    documents = [
        json.loads(base64.b64decode(line["content"]["data_base64"]))
        for line in lines_of(EXAMPLE)
        if line["content"]["content_type"] == "application/vnd.medrec.record+json"
    ]
    v2 = [d for d in documents if d["schema_version"] == "2"]
    assert {d["specialty"] for d in v2} == {"medical", "korean_medicine"}
    bills = [b for d in v2 for b in d["bills"]]
    assert {(b["visit"], b.get("inpatient_kind")) for b in bills} >= {
        ("outpatient", None), ("inpatient", "discharge"),
    }  # fmt: skip
    assert {p["method"] for b in bills for p in b["payments"]} >= {"card", "cash_receipt"}
    assert all(line.get("edi_code") for line in bills[1]["lines"][:-1])
    assert any(d.get("admissions") for d in v2)


def test_the_kit_carries_the_schemas_ingest_publishes(openapi: dict[str, Any]) -> None:
    # The served document is compared in tests/integration/ingest/test_openapi.py.
    assert carried() == extract(openapi)
    export = load_export(EXAMPLE, carried())
    assert export.problems == [] and len(export.lines) == 17


def test_the_example_export_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_export(tmp_path)
    for name in ("transfer.json", "records.ndjson", "files/scan-00001.pdf", "files/xray-00001.dcm"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_invalid_lines_are_named_by_line_and_field_and_the_rest_kept(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    root = write_export(tmp_path, records=8)
    lines = lines_of(root)
    good = len(lines)
    bad_kind = dict(lines[0], kind="x_ray")  # line 1
    long_name = json.loads(json.dumps(lines[1]))
    long_name["patient"]["name"] = "가" * 500  # line 2: a value that must not be repeated
    no_title = {k: v for k, v in lines[2].items() if k != "title"}  # line 3
    missing_file = dict(lines[3], content={"content_type": "application/pdf", "file": "no.pdf"})
    outside = dict(lines[4], content={"content_type": "application/pdf", "file": "../x.pdf"})
    bad_base64 = dict(lines[5], content={"content_type": "text/plain", "data_base64": "@@@"})
    duplicate = dict(lines[7])
    edited: list[dict[str, Any] | str] = [
        bad_kind, long_name, no_title, missing_file, outside, bad_base64, lines[6], lines[7],
        "", "{not json", duplicate, *lines[8:],
    ]  # fmt: skip
    rewrite(root, edited)

    export = load_export(root, openapi)
    found = {p.line: p for p in export.problems}
    assert sorted(found) == [1, 2, 3, 4, 5, 6, 10, 11]
    assert found[1].errors[0]["field"] == "kind"
    assert "medical_record" in found[1].errors[0]["message"]
    assert found[2].errors[0]["field"] == "patient.name"
    assert found[3].errors == [{"field": "title", "message": "is required"}]
    assert found[4].errors == [{"field": "content.file", "message": "no such file"}]
    assert found[5].errors[0]["message"] == "must be inside the export directory"
    assert found[6].errors[0]["field"] == "content.data_base64"
    assert found[10].external_id is None and "JSON" in found[10].title
    assert "line 8" in found[11].title
    assert len(export.lines) == good - 6
    report = json.dumps([p.as_report() for p in export.problems], ensure_ascii=False)
    assert "가" * 20 not in report and lines[1]["patient"]["rrn"] not in report
    assert all(p.as_report()["external_id"] == p.external_id for p in export.problems)


def test_blank_lines_are_skipped_and_counted_in_line_numbers(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    root = write_export(tmp_path, records=2)
    original = lines_of(root)
    rewrite(root, ["", *original])
    export = load_export(root, openapi)
    assert export.problems == []
    assert [line.number for line in export.lines][:2] == [2, 3]
    with (root / "records.ndjson").open("rb") as f:
        assert export.read_line(export.lines[0], f) == original[0]


def test_an_export_without_a_valid_transfer_is_refused_whole(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    root = write_export(tmp_path, records=1)
    (root / "transfer.json").write_text(json.dumps({"reason": "holiday"}))
    with pytest.raises(ExportError, match="institution: is required"):
        load_export(root, openapi)
    (root / "transfer.json").unlink()
    with pytest.raises(ExportError, match=r"transfer\.json is missing"):
        load_export(root, openapi)
    with pytest.raises(ExportError, match="not a directory"):
        load_export(root / "nowhere", openapi)


def test_the_state_file_is_replaced_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / ".medrec-transfer-state.json"
    assert State.load(path).transfer_id is None  # none yet
    state = State(path, transfer_id="t-1", institution_code="41000004", stored={"B", "A"})
    big = tmp_path / "ct.dcm"
    big.write_bytes(b"x" * 10)
    state.keep_digest("ct.dcm", big, "ab" * 32)
    state.save()
    again = State.load(path)
    assert (again.transfer_id, again.stored) == ("t-1", {"A", "B"})
    assert again.digest_of("ct.dcm", big) == "ab" * 32
    big.write_bytes(b"y" * 11)  # changed since: hashed again
    assert again.digest_of("ct.dcm", big) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".medrec-transfer-")] == [
        path.name
    ]  # no temporary file left behind
    path.write_text('{"version": 1, "transfer_')  # torn by hand: read as no state
    assert State.load(path).transfer_id is None


def test_structured_content_is_checked_against_its_specialtys_form(
    tmp_path: Path, openapi: dict[str, Any]
) -> None:
    root = write_export(tmp_path, records=3)
    lines: list[dict[str, Any] | str] = list(lines_of(root))
    medical = lines[0]
    assert isinstance(medical, dict)
    document = json.loads(base64.b64decode(medical["content"]["data_base64"]))

    def with_document(doc: dict[str, Any]) -> dict[str, Any]:
        data = base64.b64encode(json.dumps(doc, ensure_ascii=False).encode()).decode()
        return medical | {"content": medical["content"] | {"data_base64": data}}

    unknown = with_document(document | {"diagnosis_free_text": "비밀"})
    dental = with_document(document | {"specialty": "dental"})
    rewrite(root, [unknown, dental, *lines[1:]])
    export = load_export(root, openapi)
    found = {p.line: p.errors for p in export.problems}
    assert sorted(found) == [1, 2]
    assert found[1][0]["field"] == "content" and "diagnosis_free_text" in found[1][0]["message"]
    assert found[2] == [
        {"field": "content.specialty", "message": "differs from the record's specialty"}
    ]
    assert "비밀" not in json.dumps([p.as_report() for p in export.problems], ensure_ascii=False)


@pytest.mark.parametrize(
    "argv",
    [["push", "x"], ["push", "x", "--client-id", "a"], ["status", "x"], ["pull", "x"],
     ["push", "x", "--client-id", "a", "--client-secret", "b", "--batch-size", "0"]],
)  # fmt: skip
def test_bad_arguments_exit_2_before_anything_is_sent(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MEDREC_CLIENT_ID", raising=False)
    monkeypatch.delenv("MEDREC_CLIENT_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("medrec-transfer")


def test_a_v2_bill_that_does_not_add_up_is_reported_by_its_field(
    tmp_path: Path, openapi: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_export(tmp_path, records=3)
    lines: list[dict[str, Any] | str] = list(lines_of(root))
    v2 = lines[-2]
    assert isinstance(v2, dict)
    document = json.loads(base64.b64decode(v2["content"]["data_base64"]))
    assert document["schema_version"] == "2"
    assert load_export(root, openapi).problems == []

    def with_document(doc: dict[str, Any]) -> dict[str, Any]:
        data = base64.b64encode(json.dumps(doc, ensure_ascii=False).encode()).decode()
        return v2 | {"content": v2["content"] | {"data_base64": data}}

    total = json.loads(json.dumps(document))
    total["bills"][0]["total"] += 1
    priced = json.loads(json.dumps(document))
    priced["bills"][1]["lines"][2]["unit_price"] += 10
    overpaid = json.loads(json.dumps(document))
    overpaid["bills"][1]["payments"][0]["amount"] += 1
    overpaid["bills"][1].pop("patient_total")
    version_1 = document | {"schema_version": "1"}
    spoiled = [total, priced, overpaid, version_1]
    rewrite(root, [*lines[:-2], *[with_document(doc) | {"external_id": f"v2-{n}"}
                                  for n, doc in enumerate(spoiled)]])  # fmt: skip
    found = {p.line: p.errors for p in load_export(root, openapi).problems}
    first = len(lines) - 1
    assert found == {
        first: [{"field": "content.bills[0].total",
                 "message": "differs from the sum of every line's four amounts"}],
        first + 1: [{"field": "content.bills[1].lines[2].unit_price",
                     "message": "unit_price × count × days differs from the sum of "
                     "insured_copay, insurer_paid, fully_self_paid and uninsured"}],
        first + 2: [{"field": "content.bills[1].payments",
                     "message": "sum to more than the patient owed (patient_total)"}],
        first + 3: [{"field": "content.admissions", "message": "needs schema_version 2"},
                    {"field": "content.bills", "message": "needs schema_version 2"}],
    }  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(root)])
    assert exited.value.code == 1
    shown = capsys.readouterr()
    assert "content.bills[0].total" in shown.out + shown.err


def test_the_kit_and_ingest_name_the_same_fields() -> None:
    """The kit's own arithmetic (it carries no service code) agrees with ingest's, field for
    field, on the same spoiled bills."""
    document = structured_v2("medical")
    spoiled = []
    for change in ("total", "patient_total", "payments", "unit_price", "period", "kind"):
        doc = json.loads(json.dumps(document))
        bill = doc["bills"][1]
        if change in ("total", "patient_total"):
            bill[change] += 7
        elif change == "payments":
            bill["payments"][1]["amount"] += 1
        elif change == "unit_price":
            bill["lines"][0]["unit_price"] += 1
        elif change == "period":
            bill["period"]["to"] = "2025-05-01"
        else:
            doc["bills"][0]["inpatient_kind"] = "interim"
        spoiled.append(doc)
    for doc in [document, *spoiled]:
        data = json.dumps(doc, ensure_ascii=False).encode()
        assert bills.structured_errors(doc) == document_errors(
            "application/vnd.medrec.record+json", data, "medical"
        )
