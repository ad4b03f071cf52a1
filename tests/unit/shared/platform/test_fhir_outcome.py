"""Under `/fhir` every error is an OperationOutcome (application/fhir+json), with FHIR's
issue-type for the status, the path of each field problem as `expression`, and an IHE error code
when the problem names one; elsewhere it stays RFC 9457 problem+json."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medrec_shared.platform.fhir import FHIR_JSON, IHE_ERROR_SYSTEM
from medrec_shared.platform.problems import (
    NotFound,
    ValidationFailed,
    install_problem_handlers,
)


def app() -> FastAPI:
    made = FastAPI()
    install_problem_handlers(made)

    @made.get("/fhir/DocumentReference/{ref}")
    async def missing(ref: str) -> None:
        raise NotFound("No such document.")

    @made.post("/fhir")
    async def refused() -> None:
        raise ValidationFailed(
            "The bundle is not valid.",
            errors=[{"field": "Bundle.entry[1].resource.subject", "message": "does not resolve"}],
            extra={"iti_code": "XDSRegistryMetadataError"},
        )

    @made.get("/v1/things/{ref}")
    async def elsewhere(ref: str) -> None:
        raise NotFound("No such thing.")

    return made


def test_errors_under_fhir_are_operation_outcomes() -> None:
    client = TestClient(app())
    missing = client.get("/fhir/DocumentReference/x")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(FHIR_JSON)
    assert missing.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": "No such document."}],
    }
    refused = client.post("/fhir")
    assert refused.status_code == 422
    (issue,) = refused.json()["issue"]
    assert issue["code"] == "invalid"
    assert issue["expression"] == ["Bundle.entry[1].resource.subject"]
    assert issue["details"]["coding"] == [
        {"system": IHE_ERROR_SYSTEM, "code": "XDSRegistryMetadataError"}
    ]
    unknown_route = client.get("/fhir/Nothing/here/at/all")
    assert unknown_route.json()["resourceType"] == "OperationOutcome"


def test_errors_elsewhere_stay_problem_details() -> None:
    response = TestClient(app()).get("/v1/things/x")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "No such thing."
