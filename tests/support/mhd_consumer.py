"""An IHE MHD Document Consumer for the tests: ITI-67 searches (GET, or POST `_search` with a form
body), `next` links followed, ITI-68 retrievals; and every FHIR resource medrec answers parsed by
an independent R4 library (fhirclient, strict: unknown elements and wrong types raise)."""

from typing import Any

import httpx
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.documentreference import DocumentReference
from fhirclient.models.operationoutcome import OperationOutcome

from medrec_shared.platform.fhir_xml import from_xml

FHIR_JSON, FHIR_XML = "application/fhir+json", "application/fhir+xml"
RRN_SYSTEM = "https://mois.go.kr/rrn"
_MODELS: dict[str, Any] = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "DocumentReference": DocumentReference,
    "OperationOutcome": OperationOutcome,
}


def parsed(response: httpx.Response) -> dict[str, Any]:
    """The response's resource (JSON or XML, as its Content-Type says), checked by fhirclient."""
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in (FHIR_JSON, FHIR_XML), media_type
    resource: dict[str, Any] = (
        from_xml(response.content) if media_type == FHIR_XML else response.json()
    )
    _MODELS[resource["resourceType"]](resource)
    return resource


def search(client: httpx.Client, **params: str) -> dict[str, Any]:
    response = client.get("/fhir/DocumentReference", params=params)
    assert response.status_code == 200, response.text
    return parsed(response)


def search_by_post(client: httpx.Client, form: dict[str, str]) -> dict[str, Any]:
    response = client.post("/fhir/DocumentReference/_search", data=form)
    assert response.status_code == 200, response.text
    return parsed(response)


def documents(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return [entry["resource"] for entry in bundle.get("entry", [])]


def ids(bundle: dict[str, Any]) -> list[str]:
    return [d["id"] for d in documents(bundle)]


def next_link(bundle: dict[str, Any]) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


def every_page(client: httpx.Client, first: dict[str, Any]) -> list[str]:
    """The ids of `first` and of every page its `next` links lead to."""
    seen, bundle = ids(first), first
    while (url := next_link(bundle)) is not None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        bundle = parsed(response)
        seen += ids(bundle)
    return seen


def retrieve(client: httpx.Client, document: dict[str, Any]) -> httpx.Response:
    """ITI-68 at the DocumentReference's attachment URL."""
    return client.get(document["content"][0]["attachment"]["url"])
