"""What every service's OpenAPI document says beyond what FastAPI sees: the RFC 9457 problem every
error answers with (one shared `Problem` schema, with examples), who may call each operation (the
bearer and client-credentials security schemes, and the scopes a route requires), and the usual
problem responses (401 and 403 where a token is needed, 404 where a path names a resource, 422
where anything is parsed, any other error as `default`). Fuzzers and client generators read it.

The routes are the truth: security comes from each route's dependencies (`current_principal`,
`require_scope`), so a new route is documented as it is guarded.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from medrec_shared.platform.auth import current_principal
from medrec_shared.platform.components import installed
from medrec_shared.platform.problems import PROBLEM_CONTENT_TYPE, TYPE_BASE
from medrec_shared.platform.problems import Problem as ProblemError

BEARER = "bearer"
CLIENT_CREDENTIALS = "clientCredentials"
# Scopes a client-credentials token may carry (citizens' scopes come from verification).
CLIENT_SCOPES = {
    "transfer:write": "deposit records (institution clients)",
    "content:read": "read record content (service clients)",
    "catalog:read": "read record metadata and owners (service clients)",
    "metadata:read": "read deposited metadata (service clients)",
    "demographics:read": "read the demographics of persons and of records without an RRN, for "
    "a reviewer's linkage review (catalog's service client)",
    "names:read": "read the names records were deposited under, for a reviewer's Art. 21 "
    "review (issuance's service client)",
    "person-keys:read": "resolve a resident registration number to the key a person's records "
    "are filed under, for a FHIR search by patient.identifier (catalog's service client)",
    "document-facts:read": "read the dates and amounts structured records hold (visits, stays, "
    "bills, payments), for the documents made from them (issuance's service client)",
    "contact:read": "read the mobile number a person's newest verification proved, to send "
    "them a notice (catalog's service client)",
    # A machine account's operations (medrec_shared.rules.staff.MACHINE_SCOPES), named here as
    # text: the platform knows no staff roles. Staff people get theirs at sign-in.
    "stats:read": "read the service's counts",
    "transfers:oversee": "see transfers, their status and counts",
    "retention:manage": "run the retention sweep, extend a record's retention",
    "destructions:read": "read the destruction log",
    "sweeps:run": "run the release and segment sweeps",
    "clients:manage": "register, list and revoke institution clients",
    "dead-letters:manage": "list and retry dead letters",
    "keys:manage": "run key jobs (re-wrap)",
}
_REF = "#/components/schemas/{model}"


class FieldError(BaseModel):
    field: str = Field(description="The refused field, dotted (`patient.birth_date`, `items.0`)")
    message: str = Field(description="What is wrong; never the refused value")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API answers
    (`application/problem+json`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "validation",
                    "title": "The request is not valid",
                    "status": 422,
                    "detail": "The request is not valid",
                    "instance": "/v1/institutions",
                    "errors": [{"field": "q", "message": "must not contain NUL"}],
                },
                {
                    "type": TYPE_BASE + "unauthorized",
                    "title": "Authentication required",
                    "status": 401,
                    "detail": "A bearer token is required.",
                },
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = Field(default=None, description="The request's path")
    errors: list[FieldError] | None = Field(
        default=None, description="On validation failures: each refused field"
    )


_STANDARD = {
    401: "No valid bearer token",
    403: "The token may not do this (a missing scope, a refused guardianship)",
    404: "No such resource, or not one the caller may see",
    422: "Not valid; nothing was changed",
    "default": "Any other error, as a problem",
}


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def problem_responses(*problems: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route (or a router) that raises these problems beyond the standard
    ones (a rate limit's 429, an expired copy's 410, an outside party's 502 or 503): each status
    described by its problems' titles, answered as a problem (filled in by `complete_openapi`),
    with `Retry-After` where the problem sends it."""
    responses: dict[int | str, dict[str, Any]] = {}
    for problem in problems:
        response = responses.setdefault(problem.status, {"description": problem.title})
        if problem.title not in response["description"].split("; "):
            response["description"] += "; " + problem.title
        if problem.sends_retry_after:
            response["headers"] = RETRY_AFTER
    return responses


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of the app as served (prefixes and routers' dependencies applied): the
    route contexts of FastAPI's included routers, each with `path_format`, `methods` and
    `dependant`."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def route_security(route: Any) -> tuple[bool, list[str]]:
    """Whether the route needs a token, and the scopes its dependencies require."""
    calls = list(_calls(route.dependant))
    scopes = sorted({s for call in calls for s in getattr(call, "required_scopes", ())})
    return current_principal in calls, scopes


def _takes_input(operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


def _complete_operation(operation: dict[str, Any], route: Any) -> None:
    secured, scopes = route_security(route)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if secured:
        requirement = [{BEARER: scopes}]
        if scopes and set(scopes) <= set(CLIENT_SCOPES):
            requirement.append({CLIENT_CREDENTIALS: scopes})
        operation.setdefault("security", requirement)
    wanted: list[int | str] = ["default"]
    if secured:
        wanted += [401, 403]
    if "{" in route.path_format:
        wanted.append(404)
    if _takes_input(operation):
        wanted.append(422)
    for status in wanted:
        responses.setdefault(str(status), {"description": _STANDARD[status]})
    for status, response in responses.items():
        if status == "default" or int(status) >= 400:
            # FastAPI's own 422 (HTTPValidationError) is not what the API answers: a problem.
            content = response.get("content") or {}
            if not content or "application/json" in content:
                response["content"] = _problem_content()


def complete_openapi(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """`document` (FastAPI's) with problems, security schemes and standard responses."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (FieldError, Problem):
        schemas[model.__name__] = model.model_json_schema(ref_template=_REF)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    service = installed(app)  # None before create_base_app has installed it
    settings = service.settings if service is not None else None
    token_url = getattr(settings, "token_url", "/oauth/token")
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from identity: a client-credentials token (institutions, "
            "services, operators) or a citizen's token from a verification",
        },
        CLIENT_CREDENTIALS: {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": CLIENT_SCOPES}},
        },
    }
    paths = document.get("paths", {})
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, route)
    return document


def base_document(app: FastAPI) -> dict[str, Any]:
    return get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )


def operation_id(route: APIRoute) -> str:
    """A route's operationId: its function's name (`open_transfer`), a name a generated client
    can use as it is. FastAPI's default glues the path and method to it
    (`open_transfer_v1_transfers_post`). Names are unique within a service (a test checks)."""
    return route.name


def install_openapi(app: FastAPI, extend: Callable[[dict[str, Any]], None] | None = None) -> None:
    """`app.openapi`: FastAPI's document, `extend`ed by the service, then completed."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = base_document(app)
            if extend is not None:
                extend(document)
            app.openapi_schema = complete_openapi(app, document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
