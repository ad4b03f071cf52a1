"""What every page shares: the request's session (loaded in the request's transaction, and kept
alive by each signed-in request), the staff person's token (refreshed through identity before
it runs out), the rule of who may see a page (`Page.require`: the scope of the entry in the
menu), the CSRF check of every form, the templates, and the pages for problems (Korean, never
JSON).

The request owns the unit of work (`ConsoleDb`): a page that changes its session calls
`page.save()`, committed before the answer goes out."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from medrec_console import messages
from medrec_console.bootstrap import ConsoleComponents, components_of
from medrec_console.clients import ConsoleClients
from medrec_console.clients.http import CLIENT_ADDRESS, ApiProblem
from medrec_console.navigation import BY_KEY, allowed
from medrec_console.sessions.service import (
    SessionData,
    SessionStore,
    Staff,
    csrf_token,
    csrf_valid,
)
from medrec_console.settings import ConsoleSettings
from medrec_shared.platform.clock import KST, Clock
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules.staff import organisation_label

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["labels"] = messages
TEMPLATES.env.globals["organisation_label"] = organisation_label
log = get_logger("medrec.console")


def _date(value: Any) -> str:
    return str(value)[:10] if value else "-"


def _datetime(value: Any) -> str:
    if not value:
        return "-"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["date"] = _date
TEMPLATES.env.filters["datetime"] = _datetime


class CsrfRefused(Exception):
    pass


class SignInRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


class Refused(Exception):
    """A page the signed-in person's roles do not allow (403, with their menu)."""

    def __init__(self, staff: Staff | None, nav: str | None = None) -> None:
        self.staff = staff
        self.nav = nav


@dataclass
class Page:
    """One request's view of its session, with the helpers every page uses."""

    request: Request
    db: AsyncSession
    data: SessionData
    components: ConsoleComponents
    # The browser presented one of our ids whose session is gone (idle, or past its end).
    lapsed: bool = False

    @property
    def settings(self) -> ConsoleSettings:
        return self.components.settings

    @property
    def store(self) -> SessionStore:
        return self.components.sessions

    @property
    def clock(self) -> Clock:
        return self.components.clock

    @property
    def clients(self) -> ConsoleClients:
        return self.components.clients

    @property
    def session_id(self) -> str:
        sid: str = self.request.state.console_sid
        return sid

    @property
    def csrf(self) -> str:
        return csrf_token(self.settings.csrf_key.get_secret_value().encode(), self.session_id)

    @property
    def staff(self) -> Staff | None:
        return self.data.staff if self.data.signed_in else None

    async def form(self) -> FormData:
        """The posted form (its body bounded by `bodies`, no files)."""
        return await self.request.form(max_files=0, max_fields=32)

    async def save(self) -> None:
        await self.store.save(self.db, self.session_id, self.data, self.clock.now())

    async def rotate(self, data: SessionData | None = None) -> None:
        """A new session id (signing in, signing out): the old row goes, the cookie changes."""
        await self.store.drop(self.db, self.session_id)
        self.request.state.console_sid = self.store.ids.new()
        self.data = data if data is not None else SessionData()
        await self.save()

    async def require(self, scope: str, nav: str | None = None) -> str:
        """The staff person's access token, when their roles carry `scope` (the refusal page
        otherwise; the sign-in page when nobody is signed in)."""
        staff = self.staff
        if staff is None:
            raise SignInRequired(self.request.url.path, expired=self.lapsed)
        if scope not in staff.scopes:
            log.info("console_refused", path=self.request.url.path, login=staff.login)
            raise Refused(staff, nav)
        return await self.token()

    async def token(self) -> str:
        """The access token, refreshed through identity when it is about to run out; the
        sign-in page when identity's session has ended (8 hours, or signed out elsewhere)."""
        data = self.data
        assert data.session_token is not None and data.access_token is not None
        now = self.clock.now()
        margin = timedelta(seconds=self.settings.token_refresh_margin_seconds)
        expires = datetime.fromisoformat(data.access_expires_at or now.isoformat())
        if expires - margin > now:
            return data.access_token
        try:
            refreshed = await self.clients.staff_sessions.refresh(data.session_token)
        except ApiProblem as problem:
            if problem.status not in (401, 403, 404):
                raise
            await self.rotate()
            raise SignInRequired(self.request.url.path, expired=True) from None
        data.access_token = refreshed.access_token
        data.access_expires_at = (now + timedelta(seconds=refreshed.expires_in)).isoformat()
        data.session_expires_at = refreshed.session_expires_at.isoformat()
        await self.save()
        return refreshed.access_token

    def render(
        self, template: str, status_code: int = 200, nav: str | None = None, **context: Any
    ) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            self.request,
            template,
            {
                "page": self,
                "staff": self.staff,
                "menu": allowed(self.staff.scopes) if self.staff else [],
                "nav": nav,
                "csrf": self.csrf,
                **context,
            },
            status_code=status_code,
        )


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with components_of(request).db.sessions() as session, session.begin():
        yield session


# Committed when the page returns and before the answer is sent (scope="function"); rolled back
# on a problem.
ConsoleDb = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _page(request: Request, db: ConsoleDb) -> Page:
    components = components_of(request)
    CLIENT_ADDRESS.set(request.client.host if request.client else None)
    now = components.clock.now()
    loaded = await components.sessions.load(db, request.state.console_sid, now)
    lapsed = loaded is None and bool(request.state.console_presented)
    page = Page(request, db, loaded or SessionData(), components, lapsed=lapsed)
    if page.data.signed_in:
        await page.save()  # every request of a signed-in person keeps the session alive
    return page


PageDep = Annotated[Page, Depends(_page)]


async def require_csrf(request: Request) -> None:
    """Every form posted to the console carries the token of its session's forms (app-wide
    dependency: no POST route can forget it). Forms are small (`bodies`) and carry no files."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    settings = components_of(request).settings
    try:
        presented: object = (await request.form(max_files=0)).get("csrf_token")
    except StarletteHTTPException:  # over the body's bound (413): said as such
        raise
    except Exception:  # not a form at all: refused like a form without the token
        presented = None
    key = settings.csrf_key.get_secret_value().encode()
    if not isinstance(presented, str) or not csrf_valid(key, request.state.console_sid, presented):
        raise CsrfRefused


def bare_page(
    request: Request,
    code: int,
    message: str,
    *,
    staff: Staff | None = None,
    nav: str | None = None,
    template: str = "error.html",
) -> HTMLResponse:
    """A problem page outside the request's session (the database may be what failed); with
    the person's menu when they are known."""
    components = components_of(request)
    settings, store = components.settings, components.sessions
    sid = getattr(request.state, "console_sid", "") or store.ids.new()
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "page": None,
            "staff": staff,
            "menu": allowed(staff.scopes) if staff else [],
            "nav": nav,
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

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        entry = BY_KEY.get(exc.nav or "")
        return bare_page(
            request, 403, messages.REFUSED, staff=exc.staff, nav=entry.key if entry else None,
            template="refused.html",
        )  # fmt: skip

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
        elif exc.status_code == 413:
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
