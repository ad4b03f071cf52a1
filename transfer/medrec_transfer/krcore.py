"""KR Core content (`application/fhir+json`) checked locally as ingest checks it: the same
checks (`medrec_krcore.check_bundle`, the distribution ingest uses), the line's patient fields
as the claim the bundle's Patient must match, and each problem named as ingest names it, the
field `content.<FHIRPath>` (`content.Bundle.entry[3].resource.code.coding[0].system`) with the
check's message, which never quotes a value."""

import json
from datetime import date
from typing import Any

from medrec_krcore import PatientClaim, check_bundle

FHIR_JSON = "application/fhir+json"


def claim(patient: Any) -> PatientClaim:
    """The line's `patient` fields as the claim; a field not given (or not a date) is not
    claimed. The schema has checked their form already when this is called."""
    fields = patient if isinstance(patient, dict) else {}

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) and value else None

    birth = text("birth_date")
    try:
        birth_date = date.fromisoformat(birth) if birth else None
    except ValueError:
        birth_date = None
    return PatientClaim(rrn=text("rrn"), name=text("name"), birth_date=birth_date,
                        sex=text("sex"))  # fmt: skip


def bundle_errors(data: bytes, patient: Any) -> list[dict[str, str]]:
    """The problems of a KR Core bundle's bytes, as `{field, message}` like a schema problem."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return [{"field": "content", "message": "FHIR bundle is not valid JSON"}]
    # Any JSON goes to the checks, as in ingest: what is no Bundle is a problem at `Bundle`.
    return [
        {"field": f"content.{problem.path}", "message": problem.message}
        for problem in check_bundle(document, patient=claim(patient))
    ]
