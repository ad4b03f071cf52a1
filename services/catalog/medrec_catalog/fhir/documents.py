"""A catalog record as an MHD DocumentReference, and a page of them as a searchset Bundle.

Stable: a DocumentReference's id is the record_id and every element comes from the record as
catalog holds it, so the same record reads the same on every call. The subject is the FHIR
Patient whose id is the person_id (API.md, "FHIR"); the custodian and author are the depositing
institution by its 요양기관기호; the attachment's URL is the record's ITI-68 retrieval.
Attachment.hash is left out: FHIR R4's is SHA-1, and catalog holds the SHA-256 only."""

from datetime import UTC, datetime
from typing import Any, Final

from medrec_catalog.models import CatalogRecord, Institution
from medrec_shared.rules.fhir_systems import (
    MHD_MINIMAL_DOCUMENT_REFERENCE,
    RECORD_ID_SYSTEM,
    RECORD_KIND_SYSTEM,
    SPECIALTY_SYSTEM,
)

# KR Core's 요양기관기호 system (medrec_krcore.HIRA_KRNPI_SYSTEM on d30-krcore; the same string)
HIRA_KRNPI_SYSTEM: Final = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
URN_SYSTEM: Final = "urn:ietf:rfc:3986"


def instant(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.isoformat(timespec="seconds")


def organization(record: CatalogRecord, institution: Institution | None) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "type": "Organization",
        "identifier": {"system": HIRA_KRNPI_SYSTEM, "value": record.institution_code},
    }
    if institution is not None and institution.name:
        reference["display"] = institution.name
    return reference


def document_reference(
    record: CatalogRecord, institution: Institution | None, *, base: str, person_id: str
) -> dict[str, Any]:
    kind = {"coding": [{"system": RECORD_KIND_SYSTEM, "code": record.kind}]}
    org = organization(record, institution)
    context: dict[str, Any] = {
        "period": {
            "start": record.service_start.isoformat(),
            "end": record.service_end.isoformat(),
        },
        "practiceSetting": {"coding": [{"system": SPECIALTY_SYSTEM, "code": record.specialty}]},
    }
    return {
        "resourceType": "DocumentReference",
        "id": str(record.record_id),
        "meta": {"profile": [MHD_MINIMAL_DOCUMENT_REFERENCE]},
        "masterIdentifier": {"system": URN_SYSTEM, "value": f"urn:uuid:{record.record_id}"},
        "identifier": [{"system": RECORD_ID_SYSTEM, "value": str(record.record_id)}],
        "status": "current",
        "type": kind,
        "category": [kind],
        "subject": {"reference": f"Patient/{person_id}"},
        "date": instant(record.created_at),
        "author": [org],
        "custodian": org,
        "description": record.title,
        "content": [
            {
                "attachment": {
                    "contentType": record.content_type,
                    "url": f"{base}/Binary/{record.record_id}",
                    "size": record.size,
                    "title": record.title,
                }
            }
        ],
        "context": context,
    }


def searchset(
    resources: list[dict[str, Any]], *, base: str, self_url: str, next_url: str | None
) -> dict[str, Any]:
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    entries = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle
