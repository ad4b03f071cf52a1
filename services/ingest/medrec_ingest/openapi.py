"""The OpenAPI document, completed by hand where FastAPI cannot see a model: the bodies read as
streams (a record, a batch line, a batch answer) and the structured record schema
(`application/vnd.medrec.record+json`, versions 1 and 2), published under components/schemas
and, as a plain JSON Schema, at `GET /v1/schemas/record`."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from medrec_ingest.deposit.schemas import BatchLine, BatchResult, RecordIn
from medrec_ingest.transfers.schemas import CompleteIn, TransferIn
from medrec_shared.platform import openapi as shared_openapi
from medrec_shared.rules.clinical import (
    SCHEMA_VERSIONS,
    STRUCTURED_RECORD_CONTENT_TYPE,
    MedicalRecord,
    StructuredRecord,
    structured_record_json_schema,
)

#: The newest version; every version in SCHEMA_VERSIONS stays accepted.
RECORD_SCHEMA_VERSION = SCHEMA_VERSIONS[-1]
_REF = "#/components/schemas/{model}"
_STRUCTURED_DESCRIPTION = (
    f"The clinical content of a record sent as `{STRUCTURED_RECORD_CONTENT_TYPE}`, "
    '`schema_version` "1" or "2", one form per specialty chosen by `specialty`: medical (의과), '
    "dental (치과, with an FDI tooth chart) and korean_medicine (한방: 변증, 침, 뜸·부항, 한약 "
    "처방). Version 2 adds, to every specialty, `admissions` (입원: admitted_on, discharged_on, "
    "room_class, department) and `bills` (진료비 계산서·영수증 as the clinic issued them: number, "
    "issued_on, visit, inpatient_kind, period {from, to}, patient_category, lines split as "
    "insured_copay (본인부담금), insurer_paid (공단부담금), fully_self_paid (전액본인부담) and "
    "uninsured (비급여), payments by card, cash_receipt or cash); a version 1 document carrying "
    "them is refused. Amounts are whole won. The arithmetic is checked and a bill that does not "
    "add up is refused with the field named (`content.bills[0].total`): `total` = every line's "
    "four amounts summed; `patient_total` = insured_copay + fully_self_paid + uninsured summed; "
    "a line with unit_price and count costs floor(unit_price × count × days); payments do not "
    "exceed what the patient owed. Unknown fields are refused. Validated on deposit, inline, "
    "streamed and in batches; also served at GET /v1/schemas/record."
)
_EXAMPLES = MedicalRecord.model_config["json_schema_extra"]["examples"]  # type: ignore[index]

router = APIRouter(tags=["schemas"])


def json_body(model: str, media_type: str = "application/json") -> dict[str, Any]:
    """`openapi_extra` for a route that reads its body itself."""
    schema = {"$ref": _REF.format(model=model)}
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


def _add(components: dict[str, Any], name: str, adapter: TypeAdapter[Any], **extra: Any) -> None:
    schema = adapter.json_schema(ref_template=_REF, mode="validation")
    for key, value in schema.pop("$defs", {}).items():
        components.setdefault(key, value)
    components[name] = schema | extra


def _extend(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (RecordIn, BatchLine, BatchResult, CompleteIn, TransferIn):
        _add(components, model.__name__, TypeAdapter(model))
    _add(
        components,
        "StructuredRecord",
        TypeAdapter(StructuredRecord),
        title="StructuredRecord",
        description=_STRUCTURED_DESCRIPTION,
        examples=_EXAMPLES,
        **{"x-media-type": STRUCTURED_RECORD_CONTENT_TYPE,
           "x-schema-version": RECORD_SCHEMA_VERSION,
           "x-schema-versions": list(SCHEMA_VERSIONS)},
    )  # fmt: skip


def install_openapi(app: FastAPI) -> None:
    shared_openapi.install_openapi(app, _extend)


@router.get(
    "/v1/schemas/record",
    summary="The structured record schema (JSON Schema)",
    description=_STRUCTURED_DESCRIPTION,
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {}}}},
)
async def record_schema() -> JSONResponse:
    schema = structured_record_json_schema() | {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "StructuredRecord",
        "description": _STRUCTURED_DESCRIPTION,
        "x-media-type": STRUCTURED_RECORD_CONTENT_TYPE,
        "x-schema-version": RECORD_SCHEMA_VERSION,
        "x-schema-versions": list(SCHEMA_VERSIONS),
        "examples": _EXAMPLES,
    }
    return JSONResponse(schema, media_type="application/schema+json")
