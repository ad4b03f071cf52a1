"""FHIR's conventions at every `/fhir` base: errors as an `OperationOutcome` (never
problem+json), the FHIR media types, and `_format`. `problems.problem_response` answers through
`operation_outcome_response` for any path under `/fhir`, so a route there raises the same
`Problem`s as every other route and a client still gets FHIR.

An issue's `code` is FHIR's issue-type for the status; `expression` carries the FHIRPath (or
field) of each problem; an IHE error code (ITI-65's `XDSRegistryMetadataError` and the like) goes
in `details.coding` when the Problem names one in `extra["iti_code"]`. Like a problem, an outcome
never quotes the refused input."""

from typing import Any, Final

from fastapi.responses import JSONResponse

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
) -> JSONResponse:
    return JSONResponse(
        operation_outcome(status, detail, errors, iti_code),
        status_code=status,
        media_type=FHIR_JSON,
        headers=headers,
    )
