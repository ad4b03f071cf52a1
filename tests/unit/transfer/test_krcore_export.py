"""KR Core content in the transfer kit: `examples/export-krcore/` is what its generator writes,
parses as FHIR R4 and validates; `validate` runs the KR Core checks (medrec_krcore, as ingest
does) on every application/fhir+json line, inline or a file, with the line's patient as the
claim, and names each problem as it names a schema problem: the line's external_id and
`content.<FHIRPath>`, never a value."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from medrec_ingest.deposit.schemas import PatientIn
from medrec_ingest.deposit.validation import document_errors, patient_claim
from medrec_krcore import PatientClaim, check_bundle
from medrec_transfer.cli import main
from medrec_transfer.export import load_export
from medrec_transfer.krcore import FHIR_JSON, bundle_errors, claim
from medrec_transfer.sample_krcore import write_export
from medrec_transfer.schema import carried
from tests.support.fhir import parses_as_r4
from tests.support.krcore_export import (
    DANGLING,
    NO_IDENTIFIER,
    NOT_THE_PATIENT,
    WRONG_KCD,
    bundle_of,
    lines_of,
    with_bundle,
    write_broken_export,
)

TODAY = date(2026, 12, 1)
EXAMPLE = Path(__file__).parents[3] / "examples" / "export-krcore"


def test_the_krcore_example_is_what_its_generator_writes(tmp_path: Path) -> None:
    write_export(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert written == kept
    for name in written:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_the_krcore_example_validates_and_holds_each_specialty_as_kr_core() -> None:
    export = load_export(EXAMPLE, carried())
    assert export.problems == [] and len(export.lines) == 3
    assert {line.content_type for line in export.lines} == {FHIR_JSON}
    assert [line.inline for line in export.lines] == [True, True, False]  # inline and a file
    lines = lines_of(EXAMPLE)
    assert [x["specialty"] for x in lines] == ["medical", "dental", "korean_medicine"]
    resources: set[str] = set()
    for line in lines:
        document = bundle_of(EXAMPLE, line)
        parses_as_r4(document)  # strict FHIR R4 (fhirclient): unknown elements or wrong types raise
        assert check_bundle(document, patient=claim(line["patient"])) == []
        kinds = [e["resource"]["resourceType"] for e in document["entry"]]
        assert kinds[:4] == ["Patient", "Organization", "Encounter", "Condition"]
        resources |= set(kinds)
        patient, organization = document["entry"][0]["resource"], document["entry"][1]["resource"]
        assert patient["identifier"] == [
            {"system": "https://mois.go.kr/rrn", "value": line["patient"]["rrn"]}
        ]
        assert organization["identifier"][0] == {
            "system": "http://www.hl7korea.or.kr/Identifier/hira-krnpi",
            "value": "41000012",
        }
        coding = document["entry"][3]["resource"]["code"]["coding"][0]
        assert coding["system"] == "http://www.hl7korea.or.kr/CodeSystem/kostat-kcd-8"
    assert resources >= {"MedicationRequest", "Observation", "Procedure"}


def test_validate_names_each_broken_bundle_by_external_id_and_fhirpath(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "broken"
    expected = write_broken_export(root)
    assert set(expected.values()) == {WRONG_KCD, NO_IDENTIFIER, DANGLING, NOT_THE_PATIENT}
    export = load_export(root, carried())
    assert export.lines == []
    found = {p.external_id: [e["field"] for e in p.errors] for p in export.problems}
    assert set(found) == set(expected)
    for external_id, field in expected.items():
        assert field in found[external_id], (external_id, found[external_id])
    assert found["KRC-MED-00000"] == [WRONG_KCD]  # one problem, one field
    assert found["KRC-KOR-00002"] == [DANGLING]  # the file's content is checked too

    with pytest.raises(SystemExit) as exited:
        main(["validate", str(root)])
    assert exited.value.code == 1
    shown = capsys.readouterr()
    for external_id, field in expected.items():
        assert f"({external_id}): invalid record" in shown.err and field in shown.err
    assert "0 valid records" in shown.out and "4 invalid lines" in shown.out
    # Named by field, never by value: not the names, RRNs or codes the lines hold.
    report = json.dumps([p.as_report() for p in export.problems], ensure_ascii=False)
    for line in lines_of(root):
        for value in (line["patient"]["name"], line["patient"]["rrn"]):
            assert value not in report and value not in shown.err
    assert "icd-10" not in report and "I10" not in report


def test_the_kit_reports_the_checks_own_messages_with_the_line_as_the_claim(
    tmp_path: Path,
) -> None:
    root = write_export(tmp_path)
    line = lines_of(root)[0]
    document = bundle_of(root, line)
    document["entry"][2]["resource"].pop("class")
    document["entry"][3]["resource"]["code"]["coding"][0]["system"] = "urn:oid:2.16.840.1"
    data = json.dumps(document).encode()
    other = dict(line["patient"], birth_date="1990-01-01")
    problems = check_bundle(document, patient=claim(other))
    assert bundle_errors(data, other) == [
        {"field": f"content.{p.path}", "message": p.message} for p in problems
    ]
    fields = [e["field"] for e in bundle_errors(data, other)]
    assert "content.Bundle.entry[2].resource.class" in fields
    assert "content.Bundle.entry[0].resource.birthDate" in fields
    # Without an RRN (an old paper record), the rest of the claim still holds.
    paper = {k: v for k, v in line["patient"].items() if k != "rrn"}
    assert claim(paper) == PatientClaim(
        rrn=None, name=paper["name"], birth_date=claim(line["patient"]).birth_date,
        sex=paper["sex"],
    )  # fmt: skip
    assert bundle_errors(json.dumps(bundle_of(root, line)).encode(), paper) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [(b"{not json", "content", "FHIR bundle is not valid JSON"),
     (b"[1, 2]", "content.Bundle", "must be a FHIR R4 Bundle (resourceType Bundle)")],
)  # fmt: skip
def test_content_that_is_no_bundle_is_refused(data: bytes, field: str, message: str) -> None:
    assert bundle_errors(data, {}) == [{"field": field, "message": message}]


def test_the_kit_and_ingest_name_the_same_fields_with_the_same_messages(tmp_path: Path) -> None:
    """The kit carries no service code; ingest's check of a record's content, given the same
    broken bundles and patients, answers field for field what the kit reports."""
    broken, good = tmp_path / "broken", write_export(tmp_path / "good")
    write_broken_export(broken)
    for root in (broken, good):
        for line in lines_of(root):
            data = json.dumps(bundle_of(root, line)).encode()
            patient = PatientIn.model_validate(line["patient"], context={"today": TODAY})
            ingest = document_errors(FHIR_JSON, data, line["specialty"], patient_claim(patient))
            assert bundle_errors(data, line["patient"]) == ingest, line["external_id"]
            assert bool(ingest) == (root == broken)
    for data in (b"{not json", b"[1, 2]", b'{"resourceType": "Patient"}'):
        assert bundle_errors(data, {}) == document_errors(FHIR_JSON, data, "medical", None)


def test_a_bundle_that_is_no_bundle_is_named_by_the_checks(tmp_path: Path) -> None:
    root = write_export(tmp_path)
    lines: list[dict[str, Any]] = lines_of(root)
    patient_only = bundle_of(root, lines[1])["entry"][0]["resource"]
    lines[1] = with_bundle(root, lines[1], patient_only)
    lines[0] = lines[0] | {"content": lines[0]["content"] | {"content_type": FHIR_JSON + "; "
                                                              "fhirVersion=4.0"}}  # fmt: skip
    (root / "records.ndjson").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
    )
    found = {p.external_id: p.errors for p in load_export(root, carried()).problems}
    assert list(found) == ["KRC-DEN-00001"]  # the parameter is no reason to skip the checks
    assert found["KRC-DEN-00001"][0]["field"].startswith("content.Bundle")
