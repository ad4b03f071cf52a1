"""What a `/fhir` route answers in and reads: `_format` or `Accept` picks JSON (the default) or
XML, and a request body's Content-Type says which it is. A format medrec does not write is a 406
and a body it does not read a 415, both as OperationOutcome (the shared problem handler) and
before anything is changed."""

import json
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from medrec_shared.platform.fhir import FHIR_JSON, FHIR_XML, chosen_format, media_type_of
from medrec_shared.platform.fhir_xml import FhirXmlError, from_xml
from medrec_shared.platform.problems import NotAcceptable, UnsupportedMediaType, ValidationFailed


def response_format(
    request: Request,
    format_param: Annotated[
        str | None,
        Query(
            alias="_format",
            description="json, xml, application/fhir+json or application/fhir+xml "
            "(else the Accept header; JSON by default)",
        ),
    ] = None,
) -> str:
    chosen = chosen_format(format_param, request.headers.get("accept"))
    if chosen is None:
        raise NotAcceptable("This server answers application/fhir+json or application/fhir+xml.")
    return chosen


#: the media type (FHIR_JSON or FHIR_XML) a FHIR route answers in
ResponseFormat = Annotated[str, Depends(response_format)]


def body_format(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    found = media_type_of(content_type) if content_type else None
    if found is None:
        raise UnsupportedMediaType("Send application/fhir+json or application/fhir+xml.")
    return found


async def read_resource(request: Request) -> dict[str, Any]:
    """The request's body as a FHIR resource dict, whichever of JSON or XML it came in."""
    media_type = body_format(request)
    body = await request.body()
    try:
        resource = from_xml(body) if media_type == FHIR_XML else json.loads(body)
    except (FhirXmlError, ValueError) as exc:
        raise ValidationFailed("The body is not a FHIR resource in its media type.") from exc
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise ValidationFailed("The body is not a FHIR resource in its media type.")
    return resource


__all__ = ["FHIR_JSON", "FHIR_XML", "ResponseFormat", "body_format", "read_resource"]
