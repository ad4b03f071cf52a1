"""What the Document Recipient answers: the transaction-response Bundle of an accepted
submission (one entry per request entry, in order, MHD ITI-65 2:3.65.4.2.2) and the
CapabilityStatement of ingest's FHIR base. Pure."""

import uuid
from typing import Any, Final

from medrec_ingest.fhir.provide import Submission
from medrec_ingest.fhir.recipient import Provided
from medrec_shared.platform.fhir import FHIR_JSON, FHIR_XML

#: the List's answered id: derived from its documents' record ids, so a repeat answers the same
_SUBMISSION_NAMESPACE: Final = uuid.UUID("5b0d6c1e-3f0e-4a8e-9a55-8d5e0f3c2a71")
MHD_RECIPIENT: Final = (
    "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentRecipient"
)
CAPABILITY_DATE: Final = "2026-12-07"


def _created(location: str, created: bool = True) -> dict[str, Any]:
    return {"response": {"status": "201 Created" if created else "200 OK", "location": location}}


def transaction_response(submission: Submission, provided: list[Provided]) -> dict[str, Any]:
    """DocumentReference and Binary are answered at the record's id (the ids catalog's
    Document Responder serves them under); an identical repeat as `200 OK`. The Patient is
    matched, not created: ingest keeps no Patient (catalog serves the person as
    `Patient/<person_id>` once the records are linked), so its entry answers `200 OK` with no
    location."""
    entries: list[dict[str, Any]] = [{} for _ in range(submission.entries)]
    for p in provided:
        record_id = p.record.record_id
        entries[p.document.entry] = _created(f"DocumentReference/{record_id}", p.created)
        if p.document.binary_entry is not None:
            entries[p.document.binary_entry] = _created(f"Binary/{record_id}", p.created)
    ids = ",".join(sorted(str(p.record.record_id) for p in provided))
    list_id = uuid.uuid5(_SUBMISSION_NAMESPACE, ids)
    entries[submission.list_entry] = _created(f"List/{list_id}", any(p.created for p in provided))
    for i in submission.patient_entries:
        entries[i] = {"response": {"status": "200 OK"}}
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "entry": entries,
    }


def capability_statement(base_url: str, *, xml: bool) -> dict[str, Any]:
    """What ingest's base serves: ITI-65's `transaction` (MHD Document Recipient, Minimal
    metadata), for institution clients with `transfer:write`."""
    formats = [FHIR_JSON, "json"] + ([FHIR_XML, "xml"] if xml else [])
    return {
        "resourceType": "CapabilityStatement",
        "id": "medrec-ingest",
        "name": "MedrecIngestDocumentRecipient",
        "title": "medrec ingest: IHE MHD Document Recipient",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "medrec",
        "kind": "instance",
        "instantiates": [MHD_RECIPIENT],
        "software": {"name": "medrec ingest"},
        "implementation": {
            "description": "Provide Document Bundle (ITI-65) into the client's open transfer",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": formats,
        "rest": [
            {
                "mode": "server",
                "documentation": "POST a transaction Bundle on the MHD Minimal ProvideBundle "
                "profile to the base. Processed all or nothing into the client's open transfer "
                "(the one for the institution the DocumentReferences' custodian names, else "
                "the client's only open transfer). Errors are OperationOutcomes with the IHE "
                "error code (XDSRegistryMetadataError, XDSUnknownPatientId, "
                "XDSRepositoryMetadataError for a size or hash other than the content's, "
                "XDSDuplicateUniqueIdInRegistry).",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer token of an institution client with the scope "
                    "transfer:write.",
                },
                "interaction": [
                    {"code": "transaction", "documentation": "ITI-65 Provide Document Bundle"}
                ],
            }
        ],
    }
