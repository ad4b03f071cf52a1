"""ingest's FHIR base: `POST /fhir` (ITI-65 Provide Document Bundle, for institution clients
with `transfer:write`) and `GET /fhir/metadata` (its CapabilityStatement, no token). Bodies in
FHIR JSON or XML (MHD requires both), answers in what `_format` or `Accept` asks (JSON by
default). Errors are OperationOutcomes (the shared problem handler answers them under /fhir).

The bundle's body is bounded (medrec_ingest.bodies: `fhir_bundle_max_bytes`) and read only after
the token is checked. Memory: the body is read into one buffer and parsed (about twice its size
while parsing); the buffer is then dropped, and each Binary's base64 is dropped from the parsed
bundle as it is decoded, so afterwards the request holds about the decoded contents (three
quarters of the base64) plus what their encryption into one segment takes.
"""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from medrec_ingest.deps import Depositor, RecipientDep
from medrec_ingest.fhir.answers import capability_statement, transaction_response
from medrec_ingest.fhir.provide import BAD_METADATA, refused
from medrec_ingest.fields import error
from medrec_shared.platform.fhir import FHIR_BASE, FHIR_JSON, FHIR_XML, fhir_response
from medrec_shared.platform.fhir_negotiation import ResponseFormat, body_format
from medrec_shared.platform.fhir_xml import FhirXmlError, from_xml
from medrec_shared.platform.web import Now

router = APIRouter(tags=["fhir"])
PROVIDE_PATH = FHIR_BASE
METADATA_PATH = FHIR_BASE + "/metadata"
_FHIR_TYPES = {FHIR_JSON: {"schema": {"type": "object"}}, FHIR_XML: {"schema": {"type": "string"}}}


async def _read(request: Request) -> bytearray:
    """The body in one buffer, not kept by the request (as `request.body()` would)."""
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
    return buffer


def _parse(buffer: bytearray, media_type: str) -> Any:
    try:
        return from_xml(bytes(buffer)) if media_type == FHIR_XML else json.loads(buffer)
    except (FhirXmlError, ValueError, UnicodeDecodeError):
        raise refused(BAD_METADATA, [error("Bundle", f"is not valid {media_type}")]) from None


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
    response_class=Response,
    responses={
        200: {"description": "Stored (in what `_format` or `Accept` asks)", "content": _FHIR_TYPES},
        409: {"description": _CONFLICT},
        413: {"description": "The bundle, or one document, is over its limit"},
        406: {"description": "Neither FHIR JSON nor XML is acceptable"},
        415: {"description": "Neither application/fhir+json nor application/fhir+xml"},
        422: {"description": _INVALID},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": _BUNDLE_SCHEMA} for media in (FHIR_JSON, FHIR_XML)},
        }
    },
)
async def provide_bundle(
    request: Request,
    principal: Depositor,
    recipient: RecipientDep,
    now: Now,
    answer_format: ResponseFormat,
) -> Response:
    media_type = body_format(request)
    buffer = await _read(request)
    bundle = _parse(buffer, media_type)
    del buffer
    submission, provided = await recipient.provide(principal, bundle, now)
    return fhir_response(transaction_response(submission, provided), answer_format)


@router.get(
    METADATA_PATH,
    summary="CapabilityStatement of ingest's FHIR base",
    response_class=Response,
    responses={200: {"content": _FHIR_TYPES}},
)
async def metadata(request: Request, answer_format: ResponseFormat) -> Response:
    base = str(request.base_url).rstrip("/") + FHIR_BASE
    return fhir_response(capability_statement(base, xml=True), answer_format)
