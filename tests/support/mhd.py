"""IHE MHD ITI-65 Provide Document Bundles (Minimal metadata) as a Document Source sends them,
and reading what medrec answers with an independent FHIR R4 library (fhirclient: strict, so an
unknown element or a wrong type fails the test)."""

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.operationoutcome import OperationOutcome

from medrec_shared.rules.fhir_systems import (
    MHD_MINIMAL_DOCUMENT_REFERENCE,
    MHD_MINIMAL_SUBMISSION_BUNDLE,
    MHD_MINIMAL_SUBMISSION_SET,
    MHD_SUBMISSION_SET_TYPE_SYSTEM,
    RECORD_KIND_SYSTEM,
    RRN_SYSTEM,
    SPECIALTY_SYSTEM,
)
from tests.support.builders import BIRTH, NAME, RRN
from tests.support.fhir import parses_as_r4

FHIR_JSON = "application/fhir+json"
SOURCE_ID = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
KRNPI = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"


def sha1_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


@dataclass
class Doc:
    """One document of a submission."""

    external_id: str
    data: bytes
    content_type: str = "text/plain"
    title: str = "외래 진료기록"
    kind: str | None = "medical_record"
    specialty: str | None = "medical"
    start: str = "2019-03-02"
    end: str = "2019-03-09"
    extra: dict[str, Any] = field(default_factory=dict)  # overrides of the DocumentReference


def patient(rrn: str | None = RRN, name: str = NAME, birth: str = BIRTH) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"text": name}],
        "gender": "male" if rrn is None or rrn[7] in "13579" else "female",
        "birthDate": birth,
    }
    if rrn is not None:
        resource["identifier"] = [{"system": RRN_SYSTEM, "value": rrn}]
    return resource


def provide_bundle(
    docs: list[Doc],
    *,
    the_patient: dict[str, Any] | None = None,
    contained: bool = False,
    custodian: str | None = None,
) -> dict[str, Any]:
    """A transaction Bundle: the SubmissionSet List, each DocumentReference and its Binary, and
    the Patient as an entry (or contained in each DocumentReference)."""
    the_patient = the_patient if the_patient is not None else patient()
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    entries: list[dict[str, Any]] = []
    refs = []
    for doc in docs:
        doc_url, bin_url = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
        refs.append(doc_url)
        reference: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "meta": {"profile": [MHD_MINIMAL_DOCUMENT_REFERENCE]},
            "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": doc.external_id},
            "status": "current",
            "description": doc.title,
            "subject": {"reference": patient_url},
            "content": [
                {
                    "attachment": {
                        "contentType": doc.content_type,
                        "url": bin_url,
                        "size": len(doc.data),
                        "hash": sha1_b64(doc.data),
                    }
                }
            ],
            "context": {"period": {"start": doc.start, "end": doc.end}},
        }
        if doc.kind:
            reference["category"] = [{"coding": [{"system": RECORD_KIND_SYSTEM, "code": doc.kind}]}]
        if doc.specialty:
            reference["context"]["practiceSetting"] = {
                "coding": [{"system": SPECIALTY_SYSTEM, "code": doc.specialty}]
            }
        if custodian:
            reference["custodian"] = {"identifier": {"system": KRNPI, "value": custodian}}
        if contained:
            reference["contained"] = [the_patient | {"id": "p"}]
            reference["subject"] = {"reference": "#p"}
        reference |= doc.extra
        entries.append(_entry(doc_url, reference, "DocumentReference"))
        binary = {
            "resourceType": "Binary",
            "contentType": doc.content_type,
            "data": base64.b64encode(doc.data).decode(),
        }
        entries.append(_entry(bin_url, binary, "Binary"))
    unique_id = f"urn:oid:1.2.410.100.1.2.{uuid.uuid4().int % 10**9}"
    submission_set = {
        "resourceType": "List",
        "meta": {"profile": [MHD_MINIMAL_SUBMISSION_SET]},
        "extension": [{"url": SOURCE_ID, "valueIdentifier": {"value": "urn:oid:1.2.410.100.1.1"}}],
        "identifier": [{"use": "usual", "system": "urn:ietf:rfc:3986", "value": unique_id}],
        "status": "current",
        "mode": "working",
        "code": {"coding": [{"system": MHD_SUBMISSION_SET_TYPE_SYSTEM, "code": "submissionset"}]},
        "date": "2026-12-07T10:00:00+09:00",
        "entry": [{"item": {"reference": ref}} for ref in refs],
    }
    if not contained:
        submission_set["subject"] = {"reference": patient_url}
    head = [_entry(f"urn:uuid:{uuid.uuid4()}", submission_set, "List")]
    if not contained:
        head.append(_entry(patient_url, the_patient, "Patient"))
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [MHD_MINIMAL_SUBMISSION_BUNDLE]},
        "type": "transaction",
        "entry": head + entries,
    }


def _entry(full_url: str, resource: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": kind}}


def entry_of(bundle: dict[str, Any], kind: str, n: int = 0) -> int:
    """The index of the n-th entry of this resource type."""
    found = [i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind]
    return found[n]


def parsed_bundle(body: dict[str, Any]) -> Bundle:
    assert body["resourceType"] == "Bundle"
    parsed: Bundle = parses_as_r4(body)  # strict: raises FHIRValidationError on anything not R4
    return parsed


def parsed_outcome(body: dict[str, Any]) -> OperationOutcome:
    assert body["resourceType"] == "OperationOutcome"
    parsed: OperationOutcome = parses_as_r4(body)
    return parsed


def parsed_capability(body: dict[str, Any]) -> CapabilityStatement:
    assert body["resourceType"] == "CapabilityStatement"
    parsed: CapabilityStatement = parses_as_r4(body)
    return parsed


def iti_codes(outcome: dict[str, Any]) -> set[str]:
    return {c["code"] for i in outcome["issue"] for c in i.get("details", {}).get("coding", [])}


def expressions(outcome: dict[str, Any]) -> set[str]:
    return {x for i in outcome["issue"] for x in i.get("expression", [])}
