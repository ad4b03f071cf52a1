"""Text the database can store. PostgreSQL's `text` holds any Unicode character but NUL (U+0000),
and a lone surrogate (U+D800–U+DFFF) has no UTF-8 form at all: either in a bound parameter fails
the statement, which a client would see as a 500. They are refused as a 422 before any route runs.

One check for every route, so that a new field is covered without anyone remembering it: an app
dependency (`refuse_unstorable_text`) reads the path and query parameters and the body FastAPI has
already parsed (JSON or a form). Routes that read their body themselves (ingest's streamed records
and NDJSON batches, issuance's JSON form field) call `unstorable_errors` on what they parse, or
use `StorableStr`. Messages never repeat the refused value.
"""

import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AfterValidator
from starlette.datastructures import UploadFile

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "must not contain NUL or unpaired surrogate characters"
_JSON_SUBTYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)

Loc = tuple[str | int, ...]


def storable(value: str) -> str:
    if UNSTORABLE.search(value):
        raise ValueError(MESSAGE)
    return value


StorableStr = Annotated[str, AfterValidator(storable)]


def _unstorable_locations(value: Any, loc: Loc) -> Iterator[Loc]:
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            key_loc = (*loc, str(key))
            if isinstance(key, str) and UNSTORABLE.search(key):
                yield key_loc
            yield from _unstorable_locations(item, key_loc)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _unstorable_locations(item, (*loc, index))


def unstorable_errors(value: Any, loc: Loc = ()) -> list[dict[str, Any]]:
    """pydantic-style errors (for `RequestValidationError`, or `field_errors`) for every string
    in `value` (a JSON document, walked through objects and arrays) that cannot be stored."""
    return [
        {"type": "string_unstorable", "loc": where, "msg": MESSAGE, "input": None}
        for where in _unstorable_locations(value, loc)
    ]


async def _parsed_body(request: Request) -> Any:
    """The body FastAPI has already read for this route (Starlette caches it), or None for routes
    that take no body or read it themselves."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        return {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile)}
    if _JSON_SUBTYPE.match(content_type) and await request.body():
        return await request.json()
    return None


async def refuse_unstorable_text(request: Request) -> None:
    """An app dependency: every path parameter, query parameter and parsed body field."""
    errors = [
        *unstorable_errors(dict(request.path_params), ("path",)),
        *(
            error
            for key, value in request.query_params.multi_items()
            for error in unstorable_errors({key: value}, ("query",))
        ),
        *unstorable_errors(await _parsed_body(request), ("body",)),
    ]
    if errors:
        raise RequestValidationError(errors)
