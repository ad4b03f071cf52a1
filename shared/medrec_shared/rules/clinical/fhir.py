"""A structural check of a FHIR R4 Bundle (``application/fhir+json``): enough to refuse what is
not a Bundle at the door; the resources inside are kept as sent."""

from __future__ import annotations

import json
from typing import Any, Final

from medrec_krcore import BUNDLE_TYPES

FHIR_CONTENT_TYPE: Final = "application/fhir+json"

#: The R4 ``Bundle.type`` value set (the KR Core checks' own).
FHIR_BUNDLE_TYPES: Final = BUNDLE_TYPES


def check_fhir_bundle(data: bytes) -> dict[str, Any]:
    """Check that ``data`` is structurally a FHIR R4 Bundle and return it parsed.

    Raises ``ValueError`` with a message naming the first problem found.
    """
    try:
        bundle = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"FHIR bundle is not valid JSON: {exc}") from None
    if not isinstance(bundle, dict):
        raise ValueError("FHIR bundle must be a JSON object")
    resource_type = bundle.get("resourceType")
    if resource_type != "Bundle":
        raise ValueError(f"resourceType must be 'Bundle', got {resource_type!r}")
    bundle_type = bundle.get("type")
    if bundle_type not in FHIR_BUNDLE_TYPES:
        allowed = ", ".join(sorted(FHIR_BUNDLE_TYPES))
        raise ValueError(f"Bundle.type must be one of {allowed}; got {bundle_type!r}")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ValueError("Bundle.entry must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"Bundle.entry[{index}] must be an object")
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            raise ValueError(f"Bundle.entry[{index}].resource must be an object")
        inner_type = resource.get("resourceType")
        if not isinstance(inner_type, str) or not inner_type:
            raise ValueError(f"Bundle.entry[{index}].resource.resourceType is missing")
    return bundle
