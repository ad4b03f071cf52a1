"""`GET /fhir/Patient/{person_id}/$everything`: the subject's records as one KR Core Bundle
(`everything_bundle`), streamed; errors are OperationOutcomes (the shared handler, under /fhir).
It registers itself in catalog's CapabilityStatement (`capability.CATALOG_BASE`)."""

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from medrec_catalog.deps import Catalog, Citizen, DbSession
from medrec_catalog.fhir.capability import CATALOG_BASE, ResourceSupport
from medrec_catalog.fhir.everything_bundle import Everything
from medrec_shared.platform.auth import bearer_token
from medrec_shared.platform.fhir import FHIR_JSON
from medrec_shared.platform.problems import ValidationFailed

router = APIRouter(tags=["fhir"], prefix="/fhir")
INCLUDE_RRN: Final = "_include-rrn"
JSON_FORMATS: Final = frozenset({"json", FHIR_JSON, "application/json"})


async def _everything(c: Catalog) -> Everything:
    return c.everything


EverythingDep = Annotated[Everything, Depends(_everything)]


def fhir_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


@router.get(
    "/Patient/{person_id}/$everything",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            "description": "A searchset Bundle: the Patient, each institution as an "
            "Organization, structured records as KR Core resources, deposited FHIR resources "
            "as they are, other content as DocumentReferences (attachment: Binary/{record_id})",
        },
        404: {"content": {FHIR_JSON: {}}, "description": "Not the subject's id (OperationOutcome)"},
    },
)
async def patient_everything(
    request: Request,
    person_id: Annotated[uuid.UUID, Path(description="the subject's person_id")],
    session: DbSession,
    principal: Citizen,
    everything: EverythingDep,
    include_rrn: Annotated[
        bool,
        Query(
            alias=INCLUDE_RRN,
            description="also the RRN as Patient.identifier (https://mois.go.kr/rrn); "
            "never sent otherwise",
        ),
    ] = False,
    format_: Annotated[str | None, Query(alias="_format")] = None,
) -> StreamingResponse:
    """The subject's records (their own, or their child's with a guardian's token) as KR Core,
    recorded once in their access history. Another person's id answers 404."""
    if format_ is not None and format_ not in JSON_FORMATS:
        raise ValidationFailed(
            errors=[{"field": "_format", "message": "$everything answers JSON only"}]
        )
    export = await everything.prepare(
        session,
        principal,
        person_id,
        bearer=bearer_token(request),
        include_rrn=include_rrn,
    )
    return StreamingResponse(everything.stream(export, fhir_base(request)), media_type=FHIR_JSON)


CATALOG_BASE.add(
    ResourceSupport(
        type="Patient",
        interactions=(),
        documentation=f"$everything: the subject's own records as KR Core (their own, or their "
        f"child's with a guardian's token); `{INCLUDE_RRN}=true` adds the RRN identifier, which "
        "is never sent otherwise. JSON only.",
        operations=(("everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything"),),
    )
)
