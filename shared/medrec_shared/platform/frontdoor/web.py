"""What every front-door page shares that is not its templates: the exceptions that become a
sign-in redirect or a CSRF refusal, the person's address passed on to the APIs, the token a form
presents, the filters dates are written with, and the pages for problems (never JSON).

Every problem page is drawn by the front door's own `bare_page` (its templates, its session) in
its own words (`ProblemWords`): only the mapping from a problem to a status and a sentence is
here, so both front doors answer a given problem with the same status."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medrec_shared.platform.clock import KST
from medrec_shared.platform.frontdoor.client import CLIENT_ADDRESS, ApiProblem
from medrec_shared.platform.outages import RAISED_AS, RETRY_AFTER_SECONDS, unavailable_dependency

# The API statuses a page says as they are; any other failure of an API is a bad gateway (502).
PASSED_ON = (403, 404, 409, 410, 429, 503)


class CsrfRefused(Exception):
    pass


class SignInRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


def date_text(value: Any) -> str:
    """RFC 3339 or a date, as 2026-12-02 (Korean pages write dates as YYYY-MM-DD or 년 월 일)."""
    return str(value)[:10] if value else "-"


def datetime_text(value: Any) -> str:
    """A moment as Korea's wall clock shows it (2026-12-02 14:05); what is not one, as it is."""
    if not value:
        return "-"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


def pass_on_client_address(request: Request) -> None:
    """The person's address, for the API calls this request makes (client.CLIENT_ADDRESS)."""
    CLIENT_ADDRESS.set(request.client.host if request.client else None)


def needs_csrf(request: Request) -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS")


async def posted_csrf_token(request: Request) -> object:
    """The form's hidden `csrf_token` field (the form read with no files allowed); None when the
    body is not a form. A body over its bound is left to say so (413)."""
    try:
        return (await request.form(max_files=0)).get("csrf_token")
    except StarletteHTTPException:  # over the body's bound (413): said as such
        raise
    except Exception:  # not a form at all: refused like a form without the token
        return None


@dataclass(frozen=True)
class ProblemWords:
    """The sentences a front door's problem pages say, in its own words."""

    csrf: str
    invalid_request: str
    not_found: str
    not_allowed: str
    too_large: str
    general: str
    unexpected: str
    sentence: Callable[[ApiProblem], str]
    # The front door's own database (its sessions) away for the moment (an outage, not a fault).
    unavailable: str = "잠시 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요."


BarePage = Callable[[Request, int, str], Response]


def signin_redirect(next_path: str, *, expired: bool) -> RedirectResponse:
    target = "/signin?next=" + quote(next_path, safe="/")
    if expired:
        target += "&expired=1"
    return RedirectResponse(target, status_code=303)


def route_of(request: Request) -> str:
    """The matched route's template, what log lines name: a path may hold a secret (a share
    link's token, `/share/{token}`), as the access log knows (medrec_shared.platform.web)."""
    return str(getattr(request.scope.get("route"), "path", "unmatched"))


def with_retry_after(response: Response) -> Response:
    """A 503 page says when to come back, as the APIs' 503 problems do."""
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


def install_problem_pages(
    app: FastAPI, *, bare_page: BarePage, words: ProblemWords, log: structlog.stdlib.BoundLogger
) -> None:
    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        log.info("csrf_refused", route=route_of(request))
        return bare_page(request, 403, words.csrf)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return signin_redirect(exc.next_path, expired=exc.expired)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        if exc.status == 401:
            return RedirectResponse(
                "/signin?expired=1&next=" + quote(request.url.path, safe="/"), status_code=303
            )
        status = exc.status if exc.status in PASSED_ON else 502
        return with_retry_after(bare_page(request, status, words.sentence(exc)))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return bare_page(request, 422, words.invalid_request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = words.not_found
        elif exc.status_code == 405:
            message = words.not_allowed
        elif exc.status_code == 413:  # a body over its route's bound (the front door's bodies)
            message = words.too_large
        else:
            message = words.general
        return bare_page(request, exc.status_code, message)

    async def unexpected(request: Request, exc: Exception) -> Response:
        dependency = unavailable_dependency(exc)
        if dependency is not None:  # its sessions' database away: come back shortly
            log.warning("dependency_unavailable", route=route_of(request), dependency=dependency)
            return with_retry_after(bare_page(request, 503, words.unavailable))
        log.error("page_failed", route=route_of(request), error=type(exc).__name__)
        return bare_page(request, 500, words.unexpected)

    # Handled inside the app by type (as the APIs do), anything else as the last resort.
    for raised_as in RAISED_AS:
        app.add_exception_handler(raised_as, unexpected)
    app.add_exception_handler(Exception, unexpected)
