"""What every page shares: the request's session (loaded in the request's transaction, and kept
alive by each signed-in request), the staff person's token (refreshed through identity before
it runs out), the rule of who may see a page (`Page.require`: the scope of the entry in the
menu), the CSRF check of every form, the templates, and the pages for problems (Korean, never
JSON). What both front doors share of these (the problem statuses, the date filters, reading a
form's token) is medrec_shared.platform.frontdoor.web; the words and the templates are here.

The request owns the unit of work (`ConsoleDb`): a page that changes its session calls
`page.save()`, committed before the answer goes out."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from medrec_console import messages
from medrec_console.bootstrap import ConsoleComponents, components_of
from medrec_console.clients import ConsoleClients
from medrec_console.clients.http import ApiProblem
from medrec_console.navigation import BY_KEY, allowed
from medrec_console.sessions.service import (
    SessionData,
    SessionStore,
    Staff,
)
from medrec_console.settings import ConsoleSettings
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.frontdoor.sessions import csrf_token, csrf_valid
from medrec_shared.platform.frontdoor.web import (
    CsrfRefused,
    ProblemWords,
    SignInRequired,
    date_text,
    datetime_text,
    install_problem_pages,
    needs_csrf,
    pass_on_client_address,
    posted_csrf_token,
)
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules.staff import organisation_label

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["labels"] = messages
TEMPLATES.env.globals["organisation_label"] = organisation_label
log = get_logger("medrec.console")


TEMPLATES.env.filters["date"] = date_text
TEMPLATES.env.filters["datetime"] = datetime_text


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
    pass_on_client_address(request)
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
    if not needs_csrf(request):
        return
    settings = components_of(request).settings
    presented = await posted_csrf_token(request)
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


# What the console's problem pages say (the statuses are medrec_shared.platform.frontdoor.web's).
PROBLEM_WORDS = ProblemWords(
    csrf=messages.PROBLEMS["csrf"],
    invalid_request="주소나 입력한 내용이 올바르지 않습니다. 확인한 뒤 다시 시도해 주세요.",
    not_found="찾는 페이지가 없습니다. 주소를 확인해 주세요.",
    not_allowed="이 주소에서는 할 수 없는 요청입니다.",
    too_large=messages.PROBLEMS["content-too-large"],
    general=messages.GENERAL,
    unexpected="일시적인 오류로 요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
    sentence=messages.sentence,
)


def install_error_pages(app: FastAPI) -> None:
    install_problem_pages(app, bare_page=bare_page, words=PROBLEM_WORDS, log=log)

    # The console's own: a page the person's roles do not allow, with their menu.
    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        entry = BY_KEY.get(exc.nav or "")
        return bare_page(
            request, 403, messages.REFUSED, staff=exc.staff, nav=entry.key if entry else None,
            template="refused.html",
        )  # fmt: skip
