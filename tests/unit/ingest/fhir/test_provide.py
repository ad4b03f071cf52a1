"""Reading a Provide Document Bundle (pure): what each DocumentReference gives a record, the
Patient found as an entry or contained, content inline or in a Binary (its base64 dropped from
the bundle once decoded), and each refusal's IHE code and FHIRPath, never the value."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from medrec_ingest.fhir.provide import (
    BAD_METADATA,
    CONTENT_MISMATCH,
    DUPLICATE_UNIQUE_ID,
    UNKNOWN_PATIENT,
    read_submission,
)
from medrec_ingest.fhir.recipient import record_of
from medrec_shared.platform.problems import ContentTooLarge, Problem, ValidationFailed
from tests.support.builders import NAME, RRN
from tests.support.mhd import Doc, entry_of, patient, provide_bundle, sha1_b64

LIMIT = 1024 * 1024


def refusal(bundle: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        read_submission(bundle, content_limit=LIMIT)
    problem = caught.value
    text = json.dumps(problem.body() | {"errors": problem.errors})
    assert NAME not in text and RRN not in text
    return problem


def fields_of(problem: ValidationFailed) -> set[str]:
    return {e["field"] for e in problem.errors or []}


def test_each_document_gives_a_record_and_its_content() -> None:
    bundle = provide_bundle(
        [Doc("a-1", b"one"), Doc("a-2", b"two", kind="prescription", specialty="korean_medicine")]
    )
    submission = read_submission(bundle, content_limit=LIMIT)
    first, second = submission.documents
    assert (first.external_id, first.data, second.data) == ("a-1", b"one", b"two")
    assert second.fields["kind"] == "prescription"
    assert second.fields["specialty"] == "korean_medicine"
    assert first.fields["patient"] == {
        "rrn": RRN,
        "name": NAME,
        "birth_date": "1988-08-08",
        "sex": "male",
    }
    assert (first.fields["service_start"], first.fields["service_end"]) == (
        "2019-03-02",
        "2019-03-09",
    )
    assert submission.entries == len(bundle["entry"])
    assert submission.patient_entries == [entry_of(bundle, "Patient")]
    binary = bundle["entry"][entry_of(bundle, "Binary")]["resource"]
    assert "data" not in binary  # decoded, then dropped: the bundle is not held twice


def test_defaults_contained_patient_and_inline_data() -> None:
    data = b"inline"
    attachment = {"contentType": "text/plain", "data": base64.b64encode(data).decode(),
                  "size": len(data), "hash": sha1_b64(data)}  # fmt: skip
    doc = Doc("b-1", b"x", kind=None, specialty=None, extra={})
    bundle = provide_bundle([doc], contained=True, custodian="12345678")
    i = entry_of(bundle, "DocumentReference")
    bundle["entry"][i]["resource"]["content"] = [{"attachment": attachment}]
    bundle["entry"].pop(entry_of(bundle, "Binary"))
    submission = read_submission(bundle, content_limit=LIMIT)
    (read,) = submission.documents
    assert (read.fields["kind"], read.fields["specialty"]) == ("medical_record", "medical")
    assert read.fields["patient"]["rrn"] == RRN
    assert read.data == data and read.binary_entry is None
    assert submission.institution_code == "12345678"


def test_a_bundle_of_another_type_or_without_its_submission_set_is_bad_metadata() -> None:
    bundle = provide_bundle([Doc("c-1", b"x")])
    assert fields_of(refusal(bundle | {"type": "batch"})) == {"Bundle.type"}
    bundle["entry"].pop(entry_of(bundle, "List"))
    problem = refusal(bundle)
    assert problem.extra["iti_code"] == BAD_METADATA
    assert "Bundle.entry" in fields_of(problem)


def test_a_dangling_attachment_url_is_named() -> None:
    bundle = provide_bundle([Doc("d-1", b"x")])
    i = entry_of(bundle, "DocumentReference")
    bundle["entry"][i]["resource"]["content"][0]["attachment"]["url"] = "urn:uuid:nowhere"
    problem = refusal(bundle)
    assert f"Bundle.entry[{i}].resource.content[0].attachment.url" in fields_of(problem)


def test_the_same_unique_id_twice_is_refused() -> None:
    problem = refusal(provide_bundle([Doc("e-1", b"x"), Doc("e-1", b"y")]))
    assert problem.extra["iti_code"] == DUPLICATE_UNIQUE_ID


def test_two_patients_in_one_submission_are_refused() -> None:
    bundle = provide_bundle([Doc("f-1", b"x"), Doc("f-2", b"y")], contained=True)
    other = patient("900101-2345678", "이다른", "1990-01-01")
    bundle["entry"][entry_of(bundle, "DocumentReference", 1)]["resource"]["contained"] = [
        other | {"id": "p"}
    ]
    assert refusal(bundle).extra["iti_code"] == UNKNOWN_PATIENT


def test_size_and_hash_are_checked_and_content_over_the_limit_refused() -> None:
    bundle = provide_bundle([Doc("g-1", b"content")])
    attachment = bundle["entry"][entry_of(bundle, "DocumentReference")]["resource"]["content"][0]
    attachment["attachment"]["size"] = 3
    attachment["attachment"]["hash"] = sha1_b64(b"other")
    problem = refusal(bundle)
    assert problem.extra["iti_code"] == CONTENT_MISMATCH
    assert {f.rsplit(".", 1)[1] for f in fields_of(problem)} == {"size", "hash"}
    with pytest.raises(ContentTooLarge):
        read_submission(provide_bundle([Doc("g-2", b"x" * 100)]), content_limit=10)


def test_not_a_bundle_is_refused() -> None:
    bodies: list[Any] = [
        [],
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "transaction", "entry": []},
    ]
    for body in bodies:
        assert refusal(body).extra["iti_code"] == BAD_METADATA


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    return [at] + [p for key, value in children for p in _paths(value, (*at, key))]


def _replaced(bundle: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = json.loads(json.dumps(bundle))
    if not path:
        return value
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copied


def test_any_element_of_any_type_is_refused_as_a_problem_never_an_error() -> None:
    """Every element of a valid bundle (and the records it gives) replaced by a value of each
    JSON type: read_submission and record_of answer a Problem or a submission, nothing else."""
    bundle = provide_bundle([Doc("h-1", b"x"), Doc("h-2", b"%PDF-1.4\n", "application/pdf")])
    now = datetime(2026, 12, 7, tzinfo=UTC)
    for path in _paths(bundle):
        for value in (5, 1.5, True, None, "x", [], {}, [1], {"a": [1]}):
            try:
                submission = read_submission(_replaced(bundle, path, value), content_limit=LIMIT)
                for doc in submission.documents:
                    record_of(doc, now)
            except Problem:
                pass
