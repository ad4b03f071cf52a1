"""FHIR R4's XML representation is the same resource as its JSON: `to_xml` and `from_xml` are
inverse, the spec's own XML example reads as the resource fhirclient knows, the XML parser
refuses DTDs and entities, and `/fhir` answers (errors included) follow `_format`/`Accept`."""

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from fhirclient.models.bundle import Bundle
from fhirclient.models.documentreference import DocumentReference

from medrec_shared.platform.fhir import FHIR_JSON, FHIR_XML, chosen_format, fhir_response
from medrec_shared.platform.fhir_negotiation import ResponseFormat, read_resource
from medrec_shared.platform.fhir_xml import FhirXmlError, from_xml, to_xml
from medrec_shared.platform.fhir_xml_types import TYPES
from medrec_shared.platform.problems import NotFound, install_problem_handlers
from tests.support.fhir_xml_table import derive, module_text

VECTORS = Path(__file__).parent / "vectors"


def mhd_bundle() -> dict[str, Any]:
    """An ITI-65 transaction the way MHD Minimal shapes it, with the XML rules' corner cases:
    a contained Patient, primitive extensions and ids, a primitive array with a gap, booleans,
    integers and decimals, a narrative, a Binary."""
    return {
        "resourceType": "Bundle",
        "id": "mhd-1",
        "meta": {
            "profile": [
                "https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.ProvideBundle"
            ]
        },
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:0c287d32-01e3-4d87-9953-9fcc9404eb21",
                "resource": {
                    "resourceType": "List",
                    "text": {
                        "status": "generated",
                        "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                        "<p>제출 <b>1</b>건</p></div>",
                    },
                    "extension": [
                        {
                            "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId",
                            "valueIdentifier": {"value": "urn:oid:1.2.3"},
                        }
                    ],
                    "status": "current",
                    "mode": "working",
                    "code": {
                        "coding": [
                            {
                                "system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                                "code": "submissionset",
                            }
                        ]
                    },
                    "entry": [
                        {"item": {"reference": "urn:uuid:7d1b1b4c-22b0-4a38-8c2e-0a2f9b6c2f11"}}
                    ],
                },
                "request": {"method": "POST", "url": "List"},
            },
            {
                "fullUrl": "urn:uuid:7d1b1b4c-22b0-4a38-8c2e-0a2f9b6c2f11",
                "resource": {
                    "resourceType": "DocumentReference",
                    "contained": [
                        {
                            "resourceType": "Patient",
                            "id": "p1",
                            "identifier": [
                                {"system": "https://mois.go.kr/rrn", "value": "9001011234567"}
                            ],
                            "active": True,
                            "name": [
                                {
                                    "family": "김",
                                    "given": ["민준", None],
                                    "_given": [
                                        None,
                                        {
                                            "id": "g2",
                                            "extension": [
                                                {
                                                    "url": "http://example.org/x",
                                                    "valueBoolean": False,
                                                }
                                            ],
                                        },
                                    ],
                                }
                            ],
                            "gender": "male",
                            "birthDate": "1990-01-01",
                            "_birthDate": {
                                "extension": [
                                    {
                                        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                        "valueDateTime": "1990-01-01T09:30:00+09:00",
                                    }
                                ]
                            },
                        }
                    ],
                    "masterIdentifier": {
                        "system": "https://medrec.example/fhir/external-id",
                        "value": "E-1",
                    },
                    "status": "current",
                    "subject": {"reference": "#p1"},
                    "content": [
                        {
                            "attachment": {
                                "contentType": "application/pdf",
                                "size": 5,
                                "hash": "qvTGHdzF6KLavt4PO0gs2a6pQ00=",
                            }
                        }
                    ],
                    "context": {"period": {"start": "2026-01-02"}},
                },
                "request": {"method": "POST", "url": "DocumentReference"},
            },
            {
                "fullUrl": "urn:uuid:d7bb2bd5-1d0b-4a2e-8f8c-ff7a0e7b1a01",
                "resource": {
                    "resourceType": "Binary",
                    "contentType": "application/pdf",
                    "data": "aGVsbG8=",
                },
                "request": {"method": "POST", "url": "Binary"},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "체온"},
                    "valueQuantity": {"value": 36.5, "unit": "Cel"},
                    "component": [{"code": {"text": "n"}, "valueInteger": 3}],
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }


def test_the_type_table_is_what_fhirclient_derives() -> None:
    assert derive() == TYPES, "regenerate:\n" + module_text()


def test_the_specs_xml_example_reads_as_the_resource_fhirclient_knows() -> None:
    resource = from_xml((VECTORS / "fhir-documentreference-example.xml").read_bytes())
    DocumentReference(resource)  # strict: wrong types or unknown elements raise
    assert resource["id"] == "example"
    assert [a["reference"] for a in resource["author"]] == ["Practitioner/xcda1", "#a2"]
    assert resource["content"][0]["attachment"]["size"] == 3654
    assert resource["contained"][0]["name"] == [{"family": "Smitty", "given": ["Gerald"]}]
    assert resource["context"]["related"] == [{"reference": "Patient/xcda"}]
    assert resource["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml"><p>')
    assert from_xml(to_xml(resource)) == resource


def test_an_mhd_bundle_round_trips_through_xml() -> None:
    original = mhd_bundle()
    xml = to_xml(copy.deepcopy(original))
    assert xml.startswith(b"<?xml") and b'<Bundle xmlns="http://hl7.org/fhir">' in xml
    assert b'<given id="g2"><extension url="http://example.org/x">' in xml
    assert b'<div xmlns="http://www.w3.org/1999/xhtml"><p>' in xml
    back = from_xml(xml)
    assert back == original
    Bundle(back)


def test_a_dtd_or_an_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Patient xmlns="http://hl7.org/fhir"><id value="&x;"/></Patient>'
    )
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Patient xmlns="http://hl7.org/fhir"/>'
    for document in (xxe, bomb):
        with pytest.raises(FhirXmlError):
            from_xml(document)


@pytest.mark.parametrize(
    "document",
    [b"<Patient/>", b"<Patient xmlns='http://hl7.org/fhir'><active value='yes'/></Patient>", b"<a"],
)
def test_what_is_not_fhir_xml_is_refused(document: bytes) -> None:
    with pytest.raises(FhirXmlError):
        from_xml(document)


@pytest.mark.parametrize(
    ("format_param", "accept", "expected"),
    [
        (None, None, FHIR_JSON),
        ("xml", None, FHIR_XML),
        ("application/fhir xml", "application/fhir+json", FHIR_XML),  # `+` as a query decodes it
        ("json", "application/fhir+xml", FHIR_JSON),
        (None, "application/fhir+xml;fhirVersion=4.0", FHIR_XML),
        (None, "text/html,application/xml;q=0.9,*/*;q=0.8", FHIR_XML),
        (None, "*/*", FHIR_JSON),
        ("html", None, None),
        (None, "text/html", None),
    ],
)
def test_the_answer_format_follows_format_then_accept(
    format_param: str | None, accept: str | None, expected: str | None
) -> None:
    assert chosen_format(format_param, accept) == expected


def app() -> FastAPI:
    made = FastAPI()
    install_problem_handlers(made)

    @made.get("/fhir/Patient/{ref}")
    async def read(ref: str, media_type: ResponseFormat) -> Any:
        if ref != "p1":
            raise NotFound("No such patient.")
        return fhir_response({"resourceType": "Patient", "id": ref}, media_type)

    @made.post("/fhir/Patient")
    async def echo(request: Request, media_type: ResponseFormat) -> Any:
        return fhir_response(await read_resource(request), media_type)

    return made


def test_answers_and_outcomes_follow_format() -> None:
    client = TestClient(app())
    answer = client.get("/fhir/Patient/p1", params={"_format": "xml"})
    assert answer.headers["content-type"].startswith(FHIR_XML)
    assert from_xml(answer.content) == {"resourceType": "Patient", "id": "p1"}
    missing = client.get("/fhir/Patient/p2", headers={"Accept": FHIR_XML})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(FHIR_XML)
    assert from_xml(missing.content)["issue"][0]["code"] == "not-found"
    refused = client.get("/fhir/Patient/p1", params={"_format": "html"})
    assert refused.status_code == 406 and refused.json()["resourceType"] == "OperationOutcome"


def test_a_body_is_read_in_its_media_type() -> None:
    client = TestClient(app())
    xml = to_xml({"resourceType": "Patient", "active": True})
    echoed = client.post("/fhir/Patient", content=xml, headers={"Content-Type": FHIR_XML})
    assert echoed.json() == {"resourceType": "Patient", "active": True}
    wrong = client.post("/fhir/Patient", content=b"a=b", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    assert wrong.json()["issue"][0]["code"] == "not-supported"
