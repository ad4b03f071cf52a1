"""catalog's FHIR base, `/fhir`: IHE MHD Document Responder (ITI-67 `DocumentReference` search,
ITI-68 retrieval at each attachment's URL, `/fhir/Binary/{record_id}`) for a citizen's token or a
guardian's acting for a child, and the CapabilityStatement of what is served here. Answers in
JSON or XML (`_format`, `Accept`); errors are OperationOutcomes (the shared problem handler)."""

import uuid
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse

from medrec_catalog.deps import Citizen, DbSession, FhirResponderDep
from medrec_catalog.fhir.capability import (
    CATALOG_BASE,
    ResourceSupport,
    SearchParam,
    capability_statement,
)
from medrec_catalog.fhir.search import parse_query
from medrec_shared.platform.fhir import FHIR_BASE, FHIR_JSON, FHIR_XML, fhir_response
from medrec_shared.platform.fhir_negotiation import ResponseFormat
from medrec_shared.platform.problems import ContentTooLarge, UnsupportedMediaType
from medrec_shared.rules.fhir_systems import MHD_MINIMAL_DOCUMENT_REFERENCE

router = APIRouter(tags=["fhir"], prefix=FHIR_BASE)
FORM: Final = "application/x-www-form-urlencoded"
MAX_FORM_BYTES: Final = 16_384
#: the day this base's CapabilityStatement last changed (its `date`)
CAPABILITY_DATE: Final = "2026-12-07"
FHIR_CONTENT: Final[dict[str, Any]] = {FHIR_JSON: {}, FHIR_XML: {}}

CATALOG_BASE.add(
    ResourceSupport(
        type="DocumentReference",
        interactions=("search-type",),
        profiles=(MHD_MINIMAL_DOCUMENT_REFERENCE,),
        documentation="ITI-67 Find Document References, by GET or POST (_search), over the "
        "token subject's own records; another person's id or RRN finds an empty searchset. "
        "Paging by Bundle.link next. One search is one line in the access history.",
        search_params=(
            SearchParam("patient", "reference", "Patient/<person_id>: the token subject"),
            SearchParam(
                "patient.identifier",
                "token",
                "https://mois.go.kr/rrn|<RRN>, in a POST _search body only (never a URL)",
            ),
            SearchParam("status", "token", "current (every record medrec shows is current)"),
            SearchParam("date", "date", "when medrec indexed the record (eq ge gt le lt)"),
            SearchParam("period", "date", "the care's dates, context.period (eq ge gt le lt)"),
            SearchParam("type", "token", "the record kind (…/CodeSystem/record-kind)"),
            SearchParam("category", "token", "the record kind, as type"),
            SearchParam("setting", "token", "the specialty (…/CodeSystem/specialty)"),
            SearchParam(
                "facility",
                "token",
                "the institution's 요양기관기호 (http://www.hl7korea.or.kr/Identifier/"
                "hira-krnpi): medrec keeps no facility type, so this matches the custodian",
            ),
            SearchParam("_count", "number", "page size, 1 to 500 (50)"),
        ),
    )
)
CATALOG_BASE.add(
    ResourceSupport(
        type="Binary",
        interactions=("read",),
        documentation="ITI-68 Retrieve Document: a DocumentReference's attachment URL answers "
        "the document's own bytes in its own content type (not a Binary resource); the "
        "subject's records only; recorded in the access history.",
    )
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + FHIR_BASE


@router.get(
    "/metadata",
    response_class=Response,
    responses={200: {"content": FHIR_CONTENT, "description": "CapabilityStatement"}},
)
async def metadata(media_type: ResponseFormat) -> Response:
    """What this FHIR base serves (no token needed)."""
    return fhir_response(capability_statement(CATALOG_BASE, date=CAPABILITY_DATE), media_type)


@router.get(
    "/DocumentReference",
    response_class=Response,
    responses={200: {"content": FHIR_CONTENT, "description": "searchset Bundle"}},
)
async def find_document_references(
    request: Request,
    session: DbSession,
    principal: Citizen,
    responder: FhirResponderDep,
    media_type: ResponseFormat,
) -> Response:
    """ITI-67 by GET: the search parameters in the query string (CapabilityStatement)."""
    query = parse_query(request.query_params.multi_items(), in_body=False)
    bundle = await responder.find(session, principal, query, base=_base(request))
    return fhir_response(bundle, media_type)


@router.post(
    "/DocumentReference/_search",
    response_class=Response,
    responses={200: {"content": FHIR_CONTENT, "description": "searchset Bundle"}},
    openapi_extra={
        "requestBody": {
            "content": {FORM: {"schema": {"type": "object", "additionalProperties": True}}}
        }
    },
)
async def search_document_references(
    request: Request,
    session: DbSession,
    principal: Citizen,
    responder: FhirResponderDep,
    media_type: ResponseFormat,
) -> Response:
    """ITI-67 by POST: the parameters in a form body (and the query string), the only way to
    search by `patient.identifier` (an RRN never goes in a URL)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
        raise UnsupportedMediaType(f"Send the search parameters as {FORM}.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ContentTooLarge("The search form is too long.")
    pairs: list[tuple[str, Any]] = [
        *request.query_params.multi_items(),
        *parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=False),
    ]
    query = parse_query(pairs, in_body=True)
    bundle = await responder.find(session, principal, query, base=_base(request))
    return fhir_response(bundle, media_type)


@router.get(
    "/Binary/{record_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"*/*": {}}, "description": "the document, byte for byte"}},
)
async def retrieve_document(
    record_id: Annotated[uuid.UUID, Path()],
    session: DbSession,
    principal: Citizen,
    responder: FhirResponderDep,
) -> StreamingResponse:
    """ITI-68: the document's bytes as deposited, in its content type."""
    retrieval = await responder.retrieve(session, principal, record_id)
    return StreamingResponse(
        retrieval.content,
        media_type=retrieval.record.content_type,
        headers={"Content-Length": str(retrieval.record.size)},
    )
