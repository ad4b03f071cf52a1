"""Request bodies bounded while they arrive, before anything parses them.

FastAPI reads and parses a route's JSON or form body before its dependencies run, so before the
caller is authenticated: without a bound, a 64 MiB body of `[[],[],…]` from anyone becomes over a
gigabyte of Python objects. Here every request gets a limit before the app sees it: the route's
own, from a table of (method, path template) given to the app factory, or the default
(`ServiceSettings.body_max_bytes`). A declared Content-Length over it is answered 413 at once; a
body that grows past it while it is read (chunked, or lying about its length) stops the read
with 413. Nothing more of it is read: an answer given before the body was read whole closes the
connection, because otherwise the server would read (and drop) the rest to keep it alive.

Routes that take large bodies read them themselves, after their dependencies have checked the
token (ingest's deposits), so a large body is only ever read from an authenticated caller.
"""

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import compile_path, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import (
    PROBLEM_CONTENT_TYPE,
    ContentTooLarge,
    ValidationFailed,
    field_errors,
)

log = get_logger(__name__)
M = TypeVar("M", bound=BaseModel)

BodyLimits = Mapping[tuple[str, str], int]
"""(method, path template as the route declares it) -> the largest body it takes, in bytes."""
Refusal = Callable[[Scope, Send, int], Awaitable[None]]
"""How a declared length over `limit` is answered: (scope, send, limit). The services answer a
problem; the portal, whose visitors are browsers, a Korean page."""


def _detail(limit: int) -> str:
    return f"The request body is over the {limit} bytes this route takes."


# Close the connection: the rest of the body is not read, so it cannot carry another request.
_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """What the bounded `receive()` raises, answered as a ContentTooLarge problem. An
    HTTPException because FastAPI passes those on while it reads a body (any other error
    becomes a 400 "error parsing the body")."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit), headers=dict(_CLOSE))


def declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


class BodyLimitMiddleware:
    """Pure ASGI (a BaseHTTPMiddleware would wrap the body in a stream of its own): counts the
    bytes `receive()` delivers, so nothing is buffered here."""

    def __init__(
        self, app: ASGIApp, *, default: int, routes: BodyLimits, refuse: Refusal | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.refuse = refuse or answer_problem
        self.routes: list[tuple[str, re.Pattern[str], int]] = [
            (method.upper(), compile_path(template)[0], limit)
            for (method, template), limit in routes.items()
        ]

    def limit_of(self, scope: Scope) -> int:
        path = get_route_path(scope)
        for method, pattern, limit in self.routes:
            if method == scope["method"] and pattern.match(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        headers = Headers(scope=scope)
        declared = declared_length(headers)
        if declared is not None and declared > limit:
            log.info("body_over_limit", limit=limit, declared=True)
            await self.refuse(scope, send, limit)
            return
        has_body = bool(declared) or "transfer-encoding" in headers
        received = 0
        complete = not has_body

        async def limited_receive() -> Message:
            nonlocal received, complete
            if received > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > limit:
                    log.info("body_over_limit", limit=limit, declared=False)
                    raise BodyTooLarge(limit)
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not complete:
                # Answered before the body was read whole (a 401 to an upload): do not read on.
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        try:
            await self.app(scope, limited_receive, closing_send)
        except BodyTooLarge:
            # Only reaches here once the answer has begun (a batch answers while it reads): the
            # response is cut short, which is what the client gets for an oversized body then.
            if received <= limit:
                raise


async def answer_problem(scope: Scope, send: Send, limit: int) -> None:
    """A ContentTooLarge problem, sent without reading the request (no `instance`: the path
    may hold what a client should not have put there, and nothing here masks it)."""
    problem = ContentTooLarge(_detail(limit), headers=dict(_CLOSE))
    body = json.dumps(problem.body()).encode()
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def parse_json(raw: bytes, model: type[M]) -> M:
    """A body a route read itself (after its dependencies checked the caller), parsed as
    FastAPI would have: a refusal names the fields, never the values."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ValidationFailed(errors=field_errors(exc.errors())) from None
