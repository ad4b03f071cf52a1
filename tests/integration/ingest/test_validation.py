"""Every field of a deposit is checked (DOMAIN.md); a refusal is a problem naming the field,
never repeating the refused value, and nothing is stored: no row, no object, no event."""

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.builders import (
    BIRTH,
    NAME,
    NOTE,
    RRN,
    a_record,
    batch_line,
    declared,
    inline,
    structured,
)
from tests.support.ingest import STRUCTURED, IngestStore, NewDepositor, OpenTransfer
from tests.support.krcore import krcore_bundle, resource

Record = dict[str, Any]


def patient(**changes: Any) -> Callable[[Record], Record]:
    def change(record: Record) -> Record:
        return record | {"patient": record["patient"] | changes}

    return change


def fields(**changes: Any) -> Callable[[Record], Record]:
    return lambda record: record | changes


def not_krcore() -> dict[str, Any]:
    """A KR Core bundle of the record's patient whose diagnosis is coded outside KCD-8."""
    bundle = krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH)
    coding = resource(bundle, "Condition")["code"]["coding"][0]
    coding["system"], coding["display"] = "http://hl7.org/fhir/sid/icd-10", NOTE
    return bundle


def content(data: bytes, content_type: str) -> Callable[[Record], Record]:
    return fields(content=inline(data, content_type))


# (case, change, status, field named, the refused value that must not be echoed)
CASES: list[tuple[str, Callable[[Record], Record], int, str, str | None]] = [
    ("rrn-not-a-date", patient(rrn="881332-1555555"), 422, "patient.rrn", "881332-1555555"),
    ("rrn-format", patient(rrn="88080-81555555"), 422, "patient.rrn", "88080-81555555"),
    ("rrn-century-future", patient(rrn="300101-3555555"), 422, "patient.rrn", "300101-3555555"),
    ("rrn-birth-mismatch", patient(birth_date="1988-08-09"), 422, "patient.birth_date", RRN),
    ("name-empty", patient(name="  "), 422, "patient.name", None),
    ("name-digits", patient(name="박검증7"), 422, "patient.name", "박검증7"),
    ("name-control", patient(name="박\n검증"), 422, "patient.name", "박\n검증"),
    ("name-missing", lambda r: r | {"patient": {k: v for k, v in r["patient"].items()
                                                 if k != "name"}}, 422, "patient.name", None),
    ("birth-future", patient(rrn=None, birth_date="2031-01-01"), 422, "patient.birth_date", None),
    ("birth-after-service", patient(rrn=None, birth_date="2019-05-01"), 422,
     "patient.birth_date", None),
    ("sex", patient(sex="x-unknown"), 422, "patient.sex", "x-unknown"),
    ("kind", fields(kind="diary"), 422, "kind", "diary"),
    ("specialty", fields(specialty="veterinary"), 422, "specialty", "veterinary"),
    ("title-empty", fields(title=""), 422, "title", None),
    ("title-control", fields(title="외래\x00기록"), 422, "title", None),
    ("service-date-not-a-date", fields(service_start="2019-02-30"), 422, "service_start", None),
    ("service-end-future", fields(service_end="2031-01-01"), 422, "service_end", None),
    ("service-start-future", fields(service_start="2031-01-01", service_end="2031-01-02"), 422,
     "service_start", None),
    ("service-end-before-start", fields(service_end="2019-03-01"), 422, "service_end", None),
    ("department-control", fields(department="소아\t과"), 422, "department", None),
    ("unknown-field", fields(nickname="별명"), 422, "nickname", "별명"),
    ("content-type", content(b"PK\x03\x04", "application/zip"), 422, "content.content_type",
     "application/zip"),
    ("content-type-parameter", content(b"x", "text/plain; charset"), 422,
     "content.content_type", None),
    ("content-base64", fields(content={"content_type": "text/plain", "data_base64": "@@@"}), 422,
     "content.data_base64", "@@@"),
    ("content-form", fields(content={"content_type": "text/plain"}), 422, "content.size", None),
    ("content-not-an-object", fields(content="text"), 422, "content", None),
    ("declared-sha256", fields(content={"content_type": "text/plain", "size": 3,
                                        "sha256": "zz"}), 422, "content.sha256", None),
    ("declared-size", fields(content={"content_type": "text/plain", "size": -1,
                                      "sha256": "0" * 64}), 422, "content.size", None),
    ("pdf-signature", content(b"not a pdf " + NOTE.encode(), "application/pdf"), 422,
     "content.data_base64", NOTE),
    ("png-signature", content(b"GIF89a", "image/png"), 422, "content.data_base64", None),
    ("jpeg-signature", content(b"\x89PNG\r\n\x1a\n", "image/jpeg"), 422, "content.data_base64",
     None),
    ("tiff-signature", content(b"%PDF-1.4", "image/tiff"), 422, "content.data_base64", None),
    ("dicom-signature", content(b"\0" * 200, "application/dicom"), 422, "content.data_base64",
     None),
    ("structured-not-json", content(b"{" + NOTE.encode(), STRUCTURED), 422, "content", NOTE),
    ("structured-kcd", content(structured(diagnoses=[{"code": "XX", "name": NOTE}]), STRUCTURED),
     422, "content.diagnoses[0].code", NOTE),
    ("structured-tooth", content(structured("dental", tooth_chart=[{"tooth": 99}]), STRUCTURED),
     422, "content.tooth_chart[0].tooth", None),
    ("structured-specialty-tag", content(structured("veterinary"), STRUCTURED), 422,
     "content.specialty", "veterinary"),
    ("structured-unknown-field", content(structured(hobby=NOTE), STRUCTURED), 422,
     "content.hobby", NOTE),
    ("structured-other-specialty", content(structured("dental"), STRUCTURED), 422,
     "content.specialty", None),
    ("fhir-not-a-bundle", content(json.dumps({"resourceType": "Patient-" + NOTE}).encode(),
                                  "application/fhir+json"), 422, "content.Bundle", NOTE),
    ("fhir-bundle-type", content(json.dumps({"resourceType": "Bundle", "type": "xyz-" + NOTE})
                                 .encode(), "application/fhir+json"), 422, "content.Bundle.type",
     NOTE),
    ("fhir-not-krcore", content(json.dumps(not_krcore()).encode(), "application/fhir+json"), 422,
     "content.Bundle.entry[4].resource.code.coding[0].system", NOTE),
    ("fhir-another-patient", content(json.dumps(krcore_bundle(name=NAME, rrn=RRN,
                                                              birth_date="1988-08-09")).encode(),
                                     "application/fhir+json"), 422,
     "content.Bundle.entry[0].resource.birthDate", "1988-08-09"),
]  # fmt: skip

VALID_CONTENT = [
    ("text/plain; charset=EUC-KR", NOTE.encode("cp949", errors="ignore")),
    ("application/pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF"),
    ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("image/tiff", b"II*\x00\x08\x00\x00\x00"),
    ("application/dicom", b"\0" * 128 + b"DICM" + b"\x02\x00"),
    (STRUCTURED, structured()),
    ("application/fhir+json",
     json.dumps(krcore_bundle(name=NAME, rrn=RRN, birth_date=BIRTH)).encode()),
]  # fmt: skip


@pytest.fixture(scope="module")
def clinic(new_depositor: NewDepositor) -> OpenTransfer:
    client, code = new_depositor()
    return OpenTransfer(client, client.open_transfer(code, "검증의원"))


def assert_refused(response: httpx.Response, status: int, field: str, value: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    named = [e["field"] for e in problem["errors"]]
    assert field in named, named
    if value is not None:
        assert value not in response.text
        assert json.dumps(value, ensure_ascii=False).strip('"') not in response.text


@pytest.mark.parametrize(("case", "change", "status", "field", "value"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_a_bad_field_is_refused_by_name_and_nothing_is_stored(
    clinic: OpenTransfer,
    store: IngestStore,
    case: str,
    change: Callable[[Record], Record],
    status: int,
    field: str,
    value: str | None,
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    objects = store.objects()
    failed = client.transfer(transfer_id)["counts"]["failed"]

    response = client.put_record(transfer_id, f"bad-{case}", change(a_record()))

    assert_refused(response, status, field, value)
    assert NAME not in response.text and RRN not in response.text
    assert store.records(transfer_id) == []
    assert store.new_objects(objects) == set()
    assert store.events(transfer_id, "RecordStored") == []
    assert client.transfer(transfer_id)["counts"]["failed"] == failed + 1


def test_inline_content_over_the_limit_is_refused(clinic: OpenTransfer, store: IngestStore) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    objects = store.objects()
    big = b"x" * (10 * 1024 * 1024 + 1)
    response = client.put_record(
        transfer_id, "too-big", a_record(content=inline(big, "text/plain"))
    )
    assert_refused(response, 413, "content.data_base64", None)
    declared_too_big = a_record(content={"content_type": STRUCTURED, "size": 65 * 1024 * 1024,
                                         "sha256": "0" * 64})  # fmt: skip
    response = client.put_record(transfer_id, "too-big-structured", declared_too_big)
    assert_refused(response, 413, "content.size", None)
    assert store.records(transfer_id) == []
    assert store.new_objects(objects) == set()


def test_an_rrn_as_external_id_is_refused(clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    response = client.put_record(transfer_id, RRN, a_record())
    assert_refused(response, 422, "external_id", RRN)


def test_a_body_that_is_not_json_is_refused(clinic: OpenTransfer) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    response = client.ingest.put(
        f"/v1/transfers/{transfer_id}/records/not-json", content=b"{" + NOTE.encode()
    )
    assert_refused(response, 422, "body", NOTE)


@pytest.mark.parametrize(("content_type", "data"), VALID_CONTENT, ids=[c[0] for c in VALID_CONTENT])
def test_every_allowed_content_type_is_accepted(
    clinic: OpenTransfer, content_type: str, data: bytes
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    external_id = "ok-" + content_type.split(";")[0].replace("/", "-").replace("+", "-")
    response = client.put_record(
        transfer_id, external_id, a_record(content=inline(data, content_type))
    )
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == content_type


def test_records_without_rrn_and_with_unknown_sex_are_accepted(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "옛날의원")
    paper = a_record(patient={"name": NAME, "birth_date": "1931-05-05", "sex": "unknown"},
                     service_start="1950-01-01", service_end="1950-01-02")  # fmt: skip
    assert client.put_record(transfer_id, "paper-1", paper).status_code == 201
    # 1800s (century digit 9/0) and foreign residents (5-8) are valid; no check digit is asked.
    old = a_record(
        patient={
            "rrn": "991231-0123456",
            "name": NAME,
            "birth_date": "1899-12-31",
            "sex": "female",
        },
        service_start="1950-01-01",
        service_end="1950-01-02",
    )
    assert client.put_record(transfer_id, "old-1", old).status_code == 201, "1800s"
    foreign = a_record(patient={"rrn": "050505-7000000", "name": "Smith John", "birth_date":
                                "2005-05-05", "sex": "male"})  # fmt: skip
    assert client.put_record(transfer_id, "foreign-1", foreign).status_code == 201
    rows = store.records(transfer_id)
    assert [r["person_key"] is None for r in rows] == [False, False, True]  # foreign, old, paper


def test_bad_lines_of_a_batch_are_refused_by_name_and_the_others_stored(
    clinic: OpenTransfer, store: IngestStore
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    objects = store.objects()
    before = {r["external_id"] for r in store.records(transfer_id)}
    lines: list[dict[str, Any] | bytes] = [batch_line("batch-good-0", a_record())]
    for case, change, _, _, _ in CASES:
        lines.append(batch_line(f"batch-{case}", change(a_record())))
    lines.append(b"{not json " + NOTE.encode())
    lines.append(json.dumps(batch_line(RRN, a_record())).encode())
    declared_line = batch_line("batch-declared", a_record(content=declared(b"abc", "text/plain")))
    lines.append(declared_line)
    lines.append(batch_line("batch-good-1", a_record()))

    answers = client.batch(transfer_id, lines)

    assert [a["line"] for a in answers] == list(range(1, len(lines) + 1))
    assert answers[0]["status"] == answers[-1]["status"] == "created"
    for answer, (case, _, status, field, value) in zip(answers[1:], CASES, strict=False):
        assert answer["status"] == "invalid", (case, answer)
        assert answer["external_id"] == f"batch-{case}"
        assert answer["problem"]["status"] == status
        assert field in [e["field"] for e in answer["problem"]["errors"]], (case, answer)
        if value is not None:
            assert value not in json.dumps(answer, ensure_ascii=False), case
    not_json, rrn_id, declared_answer = answers[-4], answers[-3], answers[-2]
    assert not_json["status"] == "invalid" and not_json["external_id"] is None
    assert NOTE not in json.dumps(not_json, ensure_ascii=False)
    assert rrn_id["status"] == "invalid" and rrn_id["external_id"] is None
    assert RRN not in json.dumps(rrn_id)
    assert declared_answer["status"] == "invalid"
    assert "content" in [e["field"] for e in declared_answer["problem"]["errors"]]

    rows = [r for r in store.records(transfer_id) if r["external_id"] not in before]
    assert {r["external_id"] for r in rows} == {"batch-good-0", "batch-good-1"}
    assert store.new_objects(objects) == {r["object_key"] for r in rows}  # their one segment


def test_a_transfer_with_bad_fields_is_refused(
    new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    good: dict[str, Any] = {
        "institution": {"code": code, "name": "행복의원", "type": "의원", "address": "서울",
                        "region": "서울"},
        "reason": "closure",
        "effective_date": "2026-01-31",
    }  # fmt: skip
    bad = [
        ({"institution": good["institution"] | {"code": code[:7]}}, "institution.code"),
        ({"institution": good["institution"] | {"code": code[:7] + "x"}}, "institution.code"),
        ({"institution": good["institution"] | {"name": ""}}, "institution.name"),
        ({"institution": good["institution"] | {"address": "a\nb"}}, "institution.address"),
        ({"reason": "bankrupt"}, "reason"),
        ({"effective_date": "2026-13-01"}, "effective_date"),
        ({"effective_date": "1800-01-01"}, "effective_date"),
        ({"expected_records": -1}, "expected_records"),
    ]
    for change, field in bad:
        response = client.ingest.post("/v1/transfers", json=good | change)
        assert response.status_code == 422, (field, response.text)
        assert field in [e["field"] for e in response.json()["errors"]]
    assert client.ingest.get("/v1/transfers").json()["items"] == []
    assert store.fetch("SELECT 1 FROM transfers WHERE institution_code = $1", code) == []


def test_structured_and_fhir_content_are_checked_in_batches_too(
    clinic: OpenTransfer,
) -> None:
    client, transfer_id = clinic.client, clinic.transfer_id
    bad = base64.b64encode(structured(diagnoses=[{"code": "J06.999", "name": "x"}])).decode()
    answers = client.batch(
        transfer_id,
        [batch_line("batch-structured-bad", a_record(content={"content_type": STRUCTURED,
                                                              "data_base64": bad}))],
    )  # fmt: skip
    assert answers[0]["status"] == "invalid"
    assert answers[0]["problem"]["errors"][0]["field"] == "content.diagnoses[0].code"
    fhir = inline(json.dumps(not_krcore()).encode(), "application/fhir+json")
    answers = client.batch(transfer_id, [batch_line("batch-fhir-bad", a_record(content=fhir))])
    assert answers[0]["status"] == "invalid"
    assert answers[0]["problem"]["errors"] == [
        {"field": "content.Bundle.entry[4].resource.code.coding[0].system",
         "message": "must be KCD-8 (http://www.hl7korea.or.kr/CodeSystem/kostat-kcd-8)"}
    ]  # fmt: skip
