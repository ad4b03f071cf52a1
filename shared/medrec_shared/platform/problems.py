"""RFC 9457 problem details: one error base with a status and a type, one renderer.

Responses never carry stack traces, SQL, or the input that was refused (it may be personal data).
"""

from typing import Any, ClassVar

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medrec_shared.platform.fhir import (
    FHIR_JSON,
    chosen_format,
    is_fhir_path,
    operation_outcome_response,
)
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.outages import RAISED_AS, RETRY_AFTER_SECONDS, unavailable_dependency

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://medrec.example/problems/"
log = get_logger(__name__)


class Problem(Exception):
    """Base of every error a client may see."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"
    # Whether the answer carries `Retry-After` (declared so in OpenAPI:
    # medrec_shared.platform.openapi).
    sends_retry_after: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationFailed(Problem):
    status, type, title = 422, "validation", "The request is not valid"


class Unauthorized(Problem):
    status, type, title = 401, "unauthorized", "Authentication required"


class Forbidden(Problem):
    status, type, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, type, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, type, title = 409, "conflict", "Conflict"


class Gone(Problem):
    status, type, title = 410, "gone", "Gone"


class ContentTooLarge(Problem):
    status, type, title = 413, "content-too-large", "Content too large"


class TooManyRequests(Problem):
    status, type, title = 429, "too-many-requests", "Too many requests"


class NotAcceptable(Problem):
    status, type, title = 406, "not-acceptable", "No acceptable representation"


class UnsupportedMediaType(Problem):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


class ServiceUnavailable(Problem):
    status, type, title = 503, "unavailable", "Service unavailable"


class DependencyUnavailable(ServiceUnavailable):
    """What this service keeps its data in (its database, the object store) is away for the
    moment (`medrec_shared.platform.outages`): the request may be sent again after Retry-After.
    Its detail names neither the dependency's host nor anything of the request."""

    sends_retry_after = True

    def __init__(self) -> None:
        super().__init__(
            "A store this service needs is unavailable for the moment. Try again after the "
            "number of seconds Retry-After gives.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class UpstreamUnavailable(ServiceUnavailable):
    """Another medrec service this request needs did not answer, or answered that it could not
    (5xx, 429): nothing was changed here, and the same request may be sent again."""

    type, title = "upstream-unavailable", "A service this request needs is unavailable"
    sends_retry_after = True


class UpstreamRefused(Problem):
    """Another medrec service answered this service's call with something it should not have
    (a 4xx other than 404 and 429): a fault between the services, not the client's."""

    status, type, title = 502, "upstream-error", "A service this request needs failed"


UPSTREAM_RETRY_SECONDS = "5"


def upstream_problem(exc: httpx.HTTPError) -> Problem:
    """What a client is told when a call to another service fails mid-request."""
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status < 500 and status != 429:
            return UpstreamRefused("A service this request needs failed; it has been logged.")
    return UpstreamUnavailable(
        "A service this request needs is unavailable; nothing was changed. Try again shortly.",
        headers={"Retry-After": UPSTREAM_RETRY_SECONDS},
    )


def problem_response(problem: Problem, request: Request | None = None) -> Response:
    headers = dict(problem.headers)
    if problem.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if request is not None and is_fhir_path(request.url.path):
        iti_code = problem.extra.get("iti_code")
        return operation_outcome_response(
            problem.status,
            problem.detail,
            problem.errors,
            iti_code=iti_code if isinstance(iti_code, str) else None,
            headers=headers,
            # the outcome in the format asked for; JSON when that is what could not be served
            media_type=chosen_format(
                request.query_params.get("_format"), request.headers.get("accept")
            )
            or FHIR_JSON,
        )
    return JSONResponse(
        problem.body(request.url.path if request else None),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def field_errors(errors: Any) -> list[dict[str, str]]:
    """pydantic errors as {field, message}, dropping the refused input values."""
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "body", "message": str(error.get("msg", "invalid"))})
    return out


_STATUS_TYPES = {
    400: Problem,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    406: NotAcceptable,
    409: Conflict,
    410: Gone,
    413: ContentTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(ValidationFailed(errors=field_errors(exc.errors())), request)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = _STATUS_TYPES.get(exc.status_code)
        headers = dict(exc.headers or {})  # Allow of a 405, Connection: close of a 413
        if kind is None:
            problem = Problem(str(exc.detail), headers=headers)
            problem.status, problem.title = exc.status_code, str(exc.detail)
        else:
            problem = kind(str(exc.detail) if exc.detail else None, headers=headers)
        return problem_response(problem, request)

    async def on_upstream(request: Request, exc: Exception) -> Response:
        # The request's own transaction rolls back (the dependency sees the exception), so a
        # call that failed half-way changed nothing.
        assert isinstance(exc, httpx.HTTPError)
        problem = upstream_problem(exc)
        log.warning("upstream_failed", error_type=type(exc).__name__, status=problem.status)
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # The route's template, not the path: a path may hold a secret (a share link's token).
        route = str(getattr(request.scope.get("route"), "path", "unmatched"))
        dependency = unavailable_dependency(exc)
        if dependency is not None:  # an outage, not a fault: 503, and the client comes back
            log.warning(
                "dependency_unavailable", dependency=dependency, route=route,
                error_type=type(exc).__name__,
            )  # fmt: skip
            return problem_response(DependencyUnavailable(), request)
        log.error("unhandled_error", error_type=type(exc).__name__, route=route)
        problem = Problem("An unexpected error occurred; it has been logged.")
        problem.status, problem.type, problem.title = 500, "internal", "Internal error"
        return problem_response(problem, request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(httpx.HTTPError, on_upstream)
    # The types an outage raises are handled inside the app (as problems are), so the answer
    # is a 503 and not an error re-raised to the server; anything else is a 500 as before.
    for raised_as in RAISED_AS:
        app.add_exception_handler(raised_as, on_unexpected)
    app.add_exception_handler(Exception, on_unexpected)
