"""로그인: the staff person's password and one-time password, checked by identity; on the first
sign-in (or after a reset) a new password first. Or, where the organisation signs its staff in
itself (MEDREC_CONSOLE_SIGN_IN=oidc), a trip to its OpenID Connect provider and back to
`/signin/callback`, identity checking the answer. Then a session holding identity's session
token and the access token, server-side; the browser holds only the session's id.

The password is posted in the form's body, handed to identity in a JSON body, and never kept,
logged, or put back into a page. identity says one thing whichever factor was wrong."""

import hmac
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.clients.models import SignedIn
from medrec_console.forms import PasswordForm, SignInForm
from medrec_console.sessions.service import SessionData, Staff
from medrec_console.web import Page, PageDep, log

router = APIRouter()


def safe_next(path: str | None) -> str:
    """Only a path of this console (never "//elsewhere" or a URL)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(
    page: PageDep,
    next: Annotated[str, Query(max_length=200)] = "/",
    expired: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    if page.staff is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = messages.PROBLEMS["session-expired"] if expired else None
    return _form(page, SignInForm(next=safe_next(next)), notice=notice)


def _form(page: Page, form: SignInForm, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The sign-in page: the password form, or the provider's button."""
    template = "signin_oidc.html" if page.settings.sign_in == "oidc" else "signin.html"
    return page.render(template, status_code=status_code, form=form, **context)


def _callback(page: Page) -> str:
    base = page.settings.public_url or str(page.request.base_url)
    return base.rstrip("/") + "/signin/callback"


@router.post("/signin/oidc")
async def start_oidc(page: PageDep) -> Response:
    """To the organisation's provider, the flow's state kept in this browser's session."""
    if page.settings.sign_in != "oidc":
        return RedirectResponse("/signin", status_code=303)
    form = SignInForm.read(await page.form())
    try:
        started = await page.clients.staff_sessions.start_oidc(redirect_uri=_callback(page))
    except ApiProblem as problem:
        if problem.status >= 500 and problem.status != 503:
            raise
        return _form(page, SignInForm(), problem.status, problem=messages.sentence(problem))
    await page.rotate(SessionData(oidc_state=started.state, next_path=safe_next(form.next)))
    return RedirectResponse(started.authorization_url, status_code=303)


@router.get("/signin/callback", response_class=HTMLResponse)
async def oidc_callback(
    page: PageDep,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    """Back from the provider: this browser's own flow only (its state), finished by identity.
    Whatever goes wrong, the flow is over and 로그인 starts again."""
    expected = page.data.oidc_state
    next_path = page.data.next_path
    if not expected or not code or not hmac.compare_digest(expected, state):
        await page.rotate()
        return _form(page, SignInForm(), 400, problem=messages.PROBLEMS["provider-error"])
    try:
        answer = await page.clients.staff_sessions.finish_oidc(
            state=state, code=code, redirect_uri=_callback(page)
        )
    except ApiProblem as problem:
        if problem.status >= 500 and problem.status != 503:
            raise
        await page.rotate()
        said = messages.PROBLEMS["provider-error"] if problem.status in (400, 401, 422) else None
        return _form(page, SignInForm(), problem.status, problem=said or messages.sentence(problem))
    return await _signed_in(page, answer, next_path)


async def _signed_in(page: Page, answer: SignedIn, next_path: str | None) -> Response:
    now = page.clock.now()
    staff = answer.staff
    data = SessionData(
        session_token=answer.session_token,
        access_token=answer.access_token,
        access_expires_at=(now + timedelta(seconds=answer.expires_in)).isoformat(),
        session_expires_at=answer.session_expires_at.isoformat(),
        staff=Staff(**staff.model_dump()),
    )
    await page.rotate(data)  # a new session id once signed in: no fixation
    log.info("staff_signed_in", login=staff.login)
    return RedirectResponse(safe_next(next_path), status_code=303)


@router.post("/signin", response_class=HTMLResponse)
async def signin(page: PageDep) -> Response:
    form = SignInForm.read(await page.form())
    form.next = safe_next(form.next)
    if not form.valid():
        return page.render(
            "signin.html", status_code=422, form=form, problem=messages.PROBLEMS["validation"]
        )
    try:
        answer = await page.clients.staff_sessions.sign_in(
            login=form.login, password=form.password, totp=form.totp
        )
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        # identity's 401 names no factor; a validation problem is said the same way, so the
        # page tells nothing identity would not.
        said = messages.PROBLEMS["sign-in-failed"] if problem.status in (401, 422) else None
        return page.render(
            "signin.html", status_code=problem.status, form=form,
            problem=said or messages.sentence(problem),
        )  # fmt: skip
    if isinstance(answer, SignedIn):
        return await _signed_in(page, answer, form.next)
    expires = page.clock.now() + timedelta(seconds=answer.expires_in)
    await page.rotate(
        SessionData(
            change_token=answer.change_token,
            change_expires_at=expires.isoformat(),
            change_login=form.login,
            next_path=form.next,
        )
    )
    return RedirectResponse("/signin/password", status_code=303)


@router.get("/signin/password", response_class=HTMLResponse)
async def password_form(page: PageDep) -> Response:
    if not page.data.change_token:
        return RedirectResponse("/signin", status_code=303)
    return page.render("password.html", form=PasswordForm(), login=page.data.change_login)


@router.post("/signin/password", response_class=HTMLResponse)
async def change_password(page: PageDep) -> Response:
    change_token = page.data.change_token
    if not change_token:
        return RedirectResponse("/signin", status_code=303)
    form = PasswordForm.read(await page.form())
    login = page.data.change_login
    if not form.valid():
        return page.render(
            "password.html", status_code=422, form=form, login=login,
            problem=messages.PROBLEMS["validation"],
        )  # fmt: skip
    try:
        answer = await page.clients.staff_sessions.change_password(
            change_token=change_token, new_password=form.new_password
        )
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        if problem.status == 422:
            form.errors = {"new_password": messages.PROBLEMS["weak-password"]}
            return page.render(
                "password.html", status_code=422, form=form, login=login,
                problem=messages.PROBLEMS["validation"],
            )  # fmt: skip
        # The change token is spent or expired: sign in again from the start.
        await page.rotate()
        return page.render(
            "signin.html", status_code=problem.status, form=SignInForm(),
            problem=messages.PROBLEMS["password-change-expired"],
        )  # fmt: skip
    return await _signed_in(page, answer, page.data.next_path)


@router.post("/signout")
async def signout(page: PageDep) -> Response:
    """Ends identity's session too (the refresh token is dead everywhere), then this one."""
    if page.data.session_token:
        try:
            await page.clients.staff_sessions.end(page.data.session_token)
        except ApiProblem as problem:  # identity away: this session ends all the same
            log.warning("staff_session_end_failed", status=problem.status)
    await page.rotate()
    return RedirectResponse("/signin", status_code=303)
