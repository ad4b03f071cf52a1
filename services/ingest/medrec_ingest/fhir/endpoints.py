"""ingest's FHIR base: `POST /fhir` (ITI-65 Provide Document Bundle, for institution clients
with `transfer:write`) and `GET /fhir/metadata` (its CapabilityStatement, no token). Errors are
OperationOutcomes (the shared problem handler answers them for every path under /fhir).

The bundle's body is bounded (medrec_ingest.bodies: `fhir_bundle_max_bytes`) and read only after
the token is checked. Memory: the body is read into one buffer and parsed (about twice its size
while parsing); the buffer is then dropped, and each Binary's base64 is dropped from the parsed
bundle as it is decoded, so afterwards the request holds about the decoded contents (three
quarters of the base64) plus what their encryption into one segment takes.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from medrec_ingest.deps import Depositor, RecipientDep
from medrec_ingest.fhir.answers import capability_statement, transaction_response
from medrec_ingest.fhir.provide import BAD_METADATA, refused
from medrec_ingest.fields import base_type, error
from medrec_shared.platform.fhir import FHIR_BASE, FHIR_JSON
from medrec_shared.platform.problems import Problem
from medrec_shared.platform.web import Now

router = APIRouter(tags=["fhir"])
PROVIDE_PATH = FHIR_BASE
METADATA_PATH = FHIR_BASE + "/metadata"
_JSON_TYPES = frozenset({FHIR_JSON, "application/json"})


class UnsupportedMediaType(Problem):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


def _fhir(resource: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(resource, status_code=status, media_type=FHIR_JSON)


async def _read(request: Request) -> bytearray:
    """The body in one buffer, not kept by the request (as `request.body()` would)."""
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
    return buffer


def _parse_json(buffer: bytearray) -> Any:
    try:
        return json.loads(buffer)
    except (ValueError, UnicodeDecodeError):
        raise refused(BAD_METADATA, [error("Bundle", "is not valid JSON")]) from None


_CONFLICT = (
    "No open transfer takes it, another document under a uniqueId, or the transfer closed; "
    "nothing stored"
)
_INVALID = (
    "Bad metadata, unknown patient identifier, or a size or hash other than the content's; "
    "nothing stored"
)
_BUNDLE_SCHEMA = {
    "type": "object",
    "description": "A FHIR R4 Bundle of type transaction on the IHE MHD Minimal ProvideBundle "
    "profile: one SubmissionSet List, DocumentReferences, their Binaries, the Patient.",
}


@router.post(
    PROVIDE_PATH,
    summary="Provide Document Bundle (IHE MHD ITI-65)",
    description="A transaction Bundle (MHD Minimal ProvideBundle): a SubmissionSet `List`, "
    "`DocumentReference`s, their `Binary`s and the `Patient` (entry or contained, with its RRN "
    "under `https://mois.go.kr/rrn`, name, gender and birthDate). Deposited all or nothing "
    "into the client's open transfer (the one for the institution the DocumentReferences' "
    "`custodian.identifier` names, under `http://www.hl7korea.or.kr/Identifier/hira-krnpi`, "
    "else the client's only open transfer). Each DocumentReference becomes one record: "
    "`masterIdentifier` → external_id, `category` (record-kind system) → kind, "
    "`context.practiceSetting` (specialty system) → specialty, `context.period` → service "
    "dates, `description` → title; its Binary → the content, whose `attachment.size` and "
    "`attachment.hash` (SHA-1, base64) are checked. A repeat of the same bundle stores nothing "
    "again and answers the records held. Answers a `transaction-response` Bundle, one entry "
    "per request entry in order (`201 Created` and a location for each DocumentReference, "
    "Binary and the List; `200 OK` for the Patient and for documents already held). Errors "
    "are OperationOutcomes with the IHE error code.",
    response_class=JSONResponse,
    responses={
        200: {"description": "Stored", "content": {FHIR_JSON: {"schema": {"type": "object"}}}},
        409: {"description": _CONFLICT},
        413: {"description": "The bundle, or one document, is over its limit"},
        415: {"description": "Not application/fhir+json"},
        422: {"description": _INVALID},
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": _BUNDLE_SCHEMA}}}
    },
)
async def provide_bundle(
    request: Request,
    principal: Depositor,
    recipient: RecipientDep,
    now: Now,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    media_type = base_type(content_type or "")
    if media_type not in _JSON_TYPES:
        raise UnsupportedMediaType(f"Send the bundle as {FHIR_JSON}.")
    buffer = await _read(request)
    bundle = _parse_json(buffer)
    del buffer
    submission, provided = await recipient.provide(principal, bundle, now)
    return _fhir(transaction_response(submission, provided))


@router.get(
    METADATA_PATH,
    summary="CapabilityStatement of ingest's FHIR base",
    response_class=JSONResponse,
    responses={200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}}}},
)
async def metadata(request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/") + FHIR_BASE
    return _fhir(capability_statement(base, xml=False))
