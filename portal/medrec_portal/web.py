"""What every page shares: the request's session (loaded in the request's transaction), the
CSRF check of every form (before its body is parsed when it carries files), the templates, and
the pages for problems (Korean, never JSON). What both front doors share of these (the problem
statuses, the date filters, reading a form's token) is medrec_shared.platform.frontdoor.web; the
words and the templates are here.

The request owns the unit of work (`PortalDb`, as medrec_shared.platform.db.DbSession is for the
APIs): a page that changes its session calls `page.save()`, committed before the answer goes out."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_portal import messages
from medrec_portal.bootstrap import PortalComponents, components_of
from medrec_portal.clients.catalog import CatalogClient
from medrec_portal.clients.http import ApiProblem
from medrec_portal.clients.identity import IdentityClient
from medrec_portal.clients.issuance import IssuanceClient
from medrec_portal.sessions.service import SessionData, SessionStore
from medrec_portal.settings import PortalSettings
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

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["labels"] = messages
log = get_logger("medrec.portal")
TEMPLATES.env.filters["date"] = date_text
TEMPLATES.env.filters["datetime"] = datetime_text
TEMPLATES.env.filters["won"] = messages.won


@dataclass
class Page:
    """One request's view of its session, with the helpers every page uses."""

    request: Request
    db: AsyncSession
    data: SessionData
    components: PortalComponents
    unread: int | None = None  # the signed-in person's unread notices, for the menu's badge

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
    pass_on_client_address(request)
    data = await components.sessions.load(db, request.state.portal_sid, components.clock.now())
    return Page(request, db, data, components, await _unread(components, data))


async def _unread(components: PortalComponents, data: SessionData) -> int | None:
    """How many of the person's own notices are unread; None when catalog cannot say now (the
    menu then shows no badge: a page never fails for it)."""
    if data.token is None:
        return None
    try:
        return (await components.clients.catalog.notices(data.token, 1)).unread
    except ApiProblem:
        return None


PageDep = Annotated[Page, Depends(_page)]


async def require_csrf(request: Request) -> None:
    """Every form posted to the portal carries the token of its session's forms (app-wide
    dependency: no POST route can forget it). A form with files carries it in its action's
    query (`?csrf_token=…`, which works without JavaScript), so it is checked before a byte of
    the body is read: files are read only for the browser whose form this is. Any other form is
    small (64 KiB, medrec_portal.bodies) and read here for its hidden field."""
    if not needs_csrf(request):
        return
    settings = components_of(request).settings
    if _with_files(request):
        presented: object = request.query_params.get("csrf_token")
    else:
        presented = await posted_csrf_token(request)
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


# What the portal's problem pages say (the statuses are medrec_shared.platform.frontdoor.web's).
PROBLEM_WORDS = ProblemWords(
    csrf=messages.PROBLEMS["csrf"],
    invalid_request="주소나 입력한 내용이 올바르지 않습니다. 확인한 뒤 다시 시도해 주세요.",
    not_found="찾는 페이지가 없습니다. 주소를 확인해 주세요.",
    not_allowed="이 주소에서는 할 수 없는 요청입니다.",
    too_large=messages.PROBLEMS["content-too-large"],  # over its route's bound (bodies)
    general=messages.GENERAL,
    unexpected="일시적인 오류로 요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
    sentence=messages.sentence,
)


def install_error_pages(app: FastAPI) -> None:
    install_problem_pages(app, bare_page=bare_page, words=PROBLEM_WORDS, log=log)
