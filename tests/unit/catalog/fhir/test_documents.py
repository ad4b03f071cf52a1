"""A catalog record reads as an MHD DocumentReference fhirclient accepts, the same on every call;
ITI-67's parameters become the record filter they say, an RRN is refused in a URL, and a token
of another system finds nothing."""

import uuid
from datetime import UTC, date, datetime

import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement

import medrec_catalog.fhir.endpoints  # noqa: F401  (registers what the base serves)
from medrec_catalog.fhir.capability import CATALOG_BASE, capability_statement
from medrec_catalog.fhir.documents import document_reference, searchset
from medrec_catalog.fhir.search import KST, parse_query
from medrec_catalog.models import CatalogRecord, Institution, RecordStatus
from medrec_shared.platform.fhir_xml import from_xml, to_xml
from medrec_shared.platform.problems import ValidationFailed

BASE = "https://catalog.example/fhir"
RECORD_ID = uuid.UUID("0191a4f2-7c3e-7b51-9d2a-3f0e8c6b1a20")


def record() -> CatalogRecord:
    return CatalogRecord(
        record_id=RECORD_ID,
        person_key="a" * 64,
        institution_code="12345678",
        kind="prescription",
        specialty="dental",
        title="처방전",
        department=None,
        service_start=date(2025, 2, 1),
        service_end=date(2025, 2, 3),
        content_type="application/pdf",
        size=2048,
        sha256="0" * 64,
        retention_until=date(2035, 2, 3),
        status=RecordStatus.available,
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_a_record_is_an_mhd_document_reference_fhirclient_accepts() -> None:
    clinic = Institution(code="12345678", name="하늘치과의원", type="치과의원")
    made = document_reference(record(), clinic, base=BASE, person_id="p-1")
    assert made == document_reference(record(), clinic, base=BASE, person_id="p-1")
    bundle = searchset([made], base=BASE, self_url=BASE + "/DocumentReference?x", next_url=None)
    Bundle(bundle)
    Bundle(from_xml(to_xml(bundle)))
    assert made["id"] == str(RECORD_ID)
    assert made["content"][0]["attachment"]["url"] == f"{BASE}/Binary/{RECORD_ID}"
    assert made["date"] == "2026-01-02T03:04:05+00:00"
    assert made["custodian"]["display"] == "하늘치과의원"
    Bundle(searchset([], base=BASE, self_url=BASE, next_url=None))  # no empty `entry`


def test_the_capability_statement_lists_the_served_interactions() -> None:
    statement = capability_statement(CATALOG_BASE, date="2026-12-07")
    CapabilityStatement(statement)
    types = [r["type"] for r in statement["rest"][0]["resource"]]
    assert {"DocumentReference", "Binary"} <= set(types)


def test_parameters_become_the_filter_they_say() -> None:
    query = parse_query(
        [
            ("patient", "Patient/p-1"),
            ("period", "ge2024-01-01"),
            ("period", "le2024-12-31"),
            ("date", "gt2026-01-01"),
            ("setting", "https://medrec.example/fhir/CodeSystem/specialty|dental"),
            ("_count", "5"),
            ("_format", "xml"),
        ],
        in_body=False,
    )
    assert query.patient == "p-1" and query.count == 5 and not query.matches_nothing
    assert query.filters.service_from == date(2024, 1, 1)
    assert query.filters.service_to == date(2024, 12, 31)
    assert query.filters.indexed_from == datetime(2026, 1, 2, tzinfo=KST)
    assert query.filters.specialty == "dental"
    assert ("_format", "xml") not in query.echoed


@pytest.mark.parametrize(
    "pairs",
    [
        [("patient", "p"), ("type", "http://loinc.org|34108-1")],
        [("patient", "p"), ("setting", "surgery")],
        [("patient", "p"), ("status", "superseded")],
        [("patient.identifier", "urn:oid:1.2|800101-1234567")],
    ],
)
def test_a_token_no_record_carries_finds_nothing(pairs: list[tuple[str, str]]) -> None:
    assert parse_query(pairs, in_body=True).matches_nothing


def test_an_rrn_is_refused_in_a_url_without_being_quoted() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_query(
            [("patient.identifier", "https://mois.go.kr/rrn|800101-1234567")], in_body=False
        )
    assert "800101" not in str(refused.value.errors) + refused.value.detail


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("date", "gt9999-12-31"),
        ("period", "gt9999-12-31"),
        ("period", "lt0001-01-01"),
        ("date", "x"),
    ],
)
def test_a_date_at_the_calendars_edge_is_a_bad_value(name: str, value: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_query([("patient", "p"), (name, value)], in_body=False)
