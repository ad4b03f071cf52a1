"""What every page shares: the request's session (loaded in the request's transaction), the
CSRF check of every form (before its body is parsed when it carries files), the templates, and
the pages for problems (Korean, never JSON).

The request owns the unit of work (`PortalDb`, as medrec_shared.platform.db.DbSession is for the
APIs): a page that changes its session calls `page.save()`, committed before the answer goes out."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from medrec_portal import messages
from medrec_portal.bootstrap import PortalComponents, components_of
from medrec_portal.clients.catalog import CatalogClient
from medrec_portal.clients.http import CLIENT_ADDRESS, ApiProblem
from medrec_portal.clients.identity import IdentityClient
from medrec_portal.clients.issuance import IssuanceClient
from medrec_portal.sessions.service import SessionData, SessionStore, csrf_token, csrf_valid
from medrec_portal.settings import PortalSettings
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.logs import get_logger

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["labels"] = messages
log = get_logger("medrec.portal")


def _date(value: Any) -> str:
    """RFC 3339 or a date, as 2026-12-02 (Korean pages write dates as YYYY-MM-DD or 년 월 일)."""
    if not value:
        return "-"
    text = str(value)
    return text[:10]


def _datetime(value: Any) -> str:
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    from medrec_shared.platform.clock import KST

    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["date"] = _date
TEMPLATES.env.filters["datetime"] = _datetime


class CsrfRefused(Exception):
    pass


class SignInRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


@dataclass
class Page:
    """One request's view of its session, with the helpers every page uses."""

    request: Request
    db: AsyncSession
    data: SessionData
    components: PortalComponents

    @property
    def settings(self) -> PortalSettings:
        return self.components.settings

    @property
    def store(self) -> SessionStore:
        return self.components.sessions

    @property
    def clock(self) -> Clock:
        return self.components.clock

    @property
    def identity(self) -> IdentityClient:
        return self.components.clients.identity

    @property
    def catalog(self) -> CatalogClient:
        return self.components.clients.catalog

    @property
    def issuance(self) -> IssuanceClient:
        return self.components.clients.issuance

    @property
    def session_id(self) -> str:
        sid: str = self.request.state.portal_sid
        return sid

    @property
    def csrf(self) -> str:
        return csrf_token(self.settings.csrf_key.get_secret_value().encode(), self.session_id)

    async def save(self) -> None:
        await self.store.save(self.db, self.session_id, self.data, self.clock.now())

    async def rotate(self, data: SessionData | None = None) -> None:
        """A new session id (signing in, signing out): the old row goes, the cookie changes."""
        await self.store.drop(self.db, self.session_id)
        self.request.state.portal_sid = self.store.ids.new()
        self.data = data if data is not None else SessionData()
        await self.save()

    def require_signed_in(self) -> str:
        """The subject's token (the child's while acting for one), or off to 본인인증."""
        token = self.data.subject_token
        if token is None:
            raise SignInRequired(self.request.url.path)
        return token

    def own_token(self) -> str:
        if self.data.token is None:
            raise SignInRequired(self.request.url.path)
        return self.data.token

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            self.request,
            template,
            {"page": self, "session": self.data, "csrf": self.csrf, **context},
            status_code=status_code,
        )


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with components_of(request).db.sessions() as session, session.begin():
        yield session


# Committed when the page returns and before the answer is sent (scope="function"); rolled back
# on a problem.
PortalDb = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _page(request: Request, db: PortalDb) -> Page:
    components = components_of(request)
    CLIENT_ADDRESS.set(request.client.host if request.client else None)
    data = await components.sessions.load(db, request.state.portal_sid, components.clock.now())
    return Page(request, db, data, components)


PageDep = Annotated[Page, Depends(_page)]


async def require_csrf(request: Request) -> None:
    """Every form posted to the portal carries the token of its session's forms (app-wide
    dependency: no POST route can forget it). A form with files carries it in its action's
    query (`?csrf_token=…`, which works without JavaScript), so it is checked before a byte of
    the body is read: files are read only for the browser whose form this is. Any other form is
    small (64 KiB, medrec_portal.bodies) and read here for its hidden field."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    settings = components_of(request).settings
    if _with_files(request):
        presented: object = request.query_params.get("csrf_token")
    else:
        try:
            presented = (await request.form(max_files=0)).get("csrf_token")
        except StarletteHTTPException:  # over the body's bound (413): said as such
            raise
        except Exception:  # not a form at all: refused like a form without the token
            presented = None
    key = settings.csrf_key.get_secret_value().encode()
    if not isinstance(presented, str) or not csrf_valid(key, request.state.portal_sid, presented):
        raise CsrfRefused


def _with_files(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "multipart/form-data"


def bare_page(request: Request, code: int, message: str) -> HTMLResponse:
    """A problem page outside any session (the database may be what failed)."""
    components = components_of(request)
    settings, store = components.settings, components.sessions
    sid = getattr(request.state, "portal_sid", "") or store.ids.new()
    return TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {
            "page": None,
            "session": SessionData(),
            "csrf": csrf_token(settings.csrf_key.get_secret_value().encode(), sid),
            "status": code,
            "message": message,
        },
        status_code=code,
    )


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        log.info("csrf_refused", path=request.url.path)
        return bare_page(request, 403, messages.PROBLEMS["csrf"])

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        target = "/signin?next=" + quote(exc.next_path, safe="/")
        if exc.expired:
            target += "&expired=1"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        if exc.status == 401:
            return RedirectResponse(
                "/signin?expired=1&next=" + quote(request.url.path, safe="/"), status_code=303
            )
        status = exc.status if exc.status in (403, 404, 409, 410, 429, 503) else 502
        return bare_page(request, status, messages.sentence(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        message = "주소나 입력한 내용이 올바르지 않습니다. 확인한 뒤 다시 시도해 주세요."
        return bare_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = "찾는 페이지가 없습니다. 주소를 확인해 주세요."
        elif exc.status_code == 405:
            message = "이 주소에서는 할 수 없는 요청입니다."
        elif exc.status_code == 413:  # a body over its route's bound (medrec_portal.bodies)
            message = messages.PROBLEMS["content-too-large"]
        else:
            message = messages.GENERAL
        return bare_page(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("page_failed", path=request.url.path, error=type(exc).__name__)
        return bare_page(
            request, 500, "일시적인 오류로 요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."
        )
