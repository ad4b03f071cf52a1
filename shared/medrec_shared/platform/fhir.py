"""FHIR's conventions at every `/fhir` base: errors as an `OperationOutcome` (never problem+json),
the FHIR media types, and `_format` (JSON by default, XML through `fhir_xml`).
`problems.problem_response` answers through `operation_outcome_response` for any path under
`/fhir`, so a route there raises the same `Problem`s as every other route and a client still gets
FHIR.

An issue's `code` is FHIR's issue-type for the status; `expression` carries the FHIRPath (or
field) of each problem; an IHE error code (ITI-65's `XDSRegistryMetadataError` and the like) goes
in `details.coding` when the Problem names one in `extra["iti_code"]`. Like a problem, an outcome
never quotes the refused input."""

import json
from typing import Any, Final

from fastapi.responses import Response

from medrec_shared.platform.fhir_xml import to_xml

FHIR_BASE: Final = "/fhir"
FHIR_JSON: Final = "application/fhir+json"
FHIR_XML: Final = "application/fhir+xml"
#: where IHE's error codes are drawn from (ITI TF-3 4.2.4, as MHD's OperationOutcome carries them)
IHE_ERROR_SYSTEM: Final = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType"

# FHIR R4 issue-type (http://hl7.org/fhir/valueset-issue-type.html) for each status
_ISSUE_TYPES: Final = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    500: "exception",
    502: "transient",
    503: "transient",
    504: "timeout",
}


#: `_format`'s values and the media types a client may `Accept`
#: (http://hl7.org/fhir/R4/http.html#mime-type)
_FORMATS: Final = {
    "json": FHIR_JSON,
    FHIR_JSON: FHIR_JSON,
    "application/json": FHIR_JSON,
    "xml": FHIR_XML,
    FHIR_XML: FHIR_XML,
    "application/xml": FHIR_XML,
    "text/xml": FHIR_XML,
}


def media_type_of(value: str) -> str | None:
    """The FHIR media type a `_format` value or a Content-Type names (parameters such as
    fhirVersion and charset ignored), or None for anything else."""
    bare = value.split(";", 1)[0].strip().lower().replace(" ", "+")  # `+` decoded from a query
    return _FORMATS.get(bare)


def chosen_format(format_param: str | None, accept: str | None) -> str | None:
    """What a FHIR answer is written in: `_format` first, then the most preferred acceptable
    `Accept` entry, JSON when neither says; None when the client accepts nothing medrec writes."""
    if format_param:
        return media_type_of(format_param)
    if not accept:
        return FHIR_JSON
    ranked: list[tuple[float, int, str]] = []
    for index, entry in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in entry.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media in ("*/*", "application/*"):
            ranked.append((quality, -index, FHIR_JSON))
        elif (found := media_type_of(media)) is not None:
            ranked.append((quality, -index, found))
    return max(ranked)[2] if ranked else None


def fhir_response(
    resource: dict[str, Any],
    media_type: str = FHIR_JSON,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A resource in the negotiated format (FHIR_JSON or FHIR_XML)."""
    body = (
        to_xml(resource)
        if media_type == FHIR_XML
        else json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
    )
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def is_fhir_path(path: str) -> bool:
    return path == FHIR_BASE or path.startswith(FHIR_BASE + "/")


def issue_type(status: int) -> str:
    return _ISSUE_TYPES.get(status, "processing" if status < 500 else "exception")


def operation_outcome(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    iti_code: str | None = None,
) -> dict[str, Any]:
    """An OperationOutcome: one issue per field error (its message, its path as `expression`),
    or one issue with the detail when there are none."""
    severity = "fatal" if status >= 500 else "error"
    code = issue_type(status)
    details = (
        {"details": {"coding": [{"system": IHE_ERROR_SYSTEM, "code": iti_code}]}}
        if iti_code
        else {}
    )
    issues: list[dict[str, Any]] = [
        {
            "severity": severity,
            "code": code,
            **details,
            "diagnostics": error.get("message", detail),
            "expression": [error["field"]],
        }
        for error in errors or []
        if error.get("field")
    ]
    if not issues:
        issues = [{"severity": severity, "code": code, **details, "diagnostics": detail}]
    return {"resourceType": "OperationOutcome", "issue": issues}


def operation_outcome_response(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    *,
    iti_code: str | None = None,
    headers: dict[str, str] | None = None,
    media_type: str = FHIR_JSON,
) -> Response:
    return fhir_response(
        operation_outcome(status, detail, errors, iti_code),
        media_type,
        status_code=status,
        headers=headers,
    )
