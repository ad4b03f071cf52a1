"""본인인증: the citizen's mobile verification through identity, then a session holding the token.

The RRN is posted in the form's body, handed to identity in a JSON body, and never kept, logged
or put in a URL. In sandbox mode identity answers the code itself and the page shows it, as the
API does; with an OpenID Connect provider the browser goes to the provider and comes back to
`/verify/callback`."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.sessions.service import SessionData
from medrec_portal.web import Page, PageDep

router = APIRouter()


def _safe_next(path: str | None) -> str:
    """Only a path of this portal (never "//elsewhere" or a URL)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/records"


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(
    page: PageDep,
    next: Annotated[str, Query(max_length=200)] = "/records",
    expired: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    notice = messages.PROBLEMS["session-expired"] if expired else None
    return page.render(
        "signin.html", nav="signin", next=_safe_next(next), notice=notice, errors={}, values={}
    )


@router.post("/signin", response_class=HTMLResponse)
async def signin_start(
    page: PageDep,
    name: Annotated[str, Form(max_length=100)] = "",
    rrn: Annotated[str, Form(max_length=20)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=200)] = "/records",
) -> Response:
    values = {"name": name, "phone": phone}  # never the RRN: it is typed again
    errors = {}
    if not name.strip():
        errors["name"] = "이름을 입력해 주세요."
    if not rrn.strip():
        errors["rrn"] = "주민등록번호 13자리를 입력해 주세요."
    if not phone.strip():
        errors["phone"] = "휴대전화번호를 입력해 주세요."
    if errors:
        return page.render(
            "signin.html", status_code=422, nav="signin", next=_safe_next(next), notice=None,
            errors=errors, values=values, problem="입력한 내용을 확인해 주세요.",
        )  # fmt: skip
    try:
        started = await page.identity.start_verification(
            name=name.strip(), rrn=rrn.strip(), phone=phone.strip()
        )
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        return page.render(
            "signin.html", status_code=problem.status, nav="signin", next=_safe_next(next),
            notice=None, errors=messages.field_messages(problem), values=values,
            problem=messages.sentence(problem),
        )  # fmt: skip
    page.data = SessionData(
        verification_id=str(started.verification_id),
        sandbox_code=started.sandbox_code,
        next_path=_safe_next(next),
    )
    await page.save()
    if started.authorization_url:  # an OpenID Connect provider: off to it
        return RedirectResponse(started.authorization_url, status_code=303)
    return RedirectResponse("/signin/code", status_code=303)


@router.get("/signin/code", response_class=HTMLResponse)
async def code_form(page: PageDep) -> Response:
    if not page.data.verification_id:
        return RedirectResponse("/signin", status_code=303)
    return page.render("signin_code.html", nav="signin", error=None)


async def _confirm(page: Page, code: str, state: str | None) -> Response:
    verification_id = page.data.verification_id
    assert verification_id is not None  # the callers checked
    confirmed = await page.identity.confirm_verification(verification_id, code, state)
    token = confirmed.access_token
    me = await page.identity.me(token)
    expires = page.clock.now() + timedelta(seconds=confirmed.expires_in)
    signed_in = SessionData(
        token=token,
        person_id=str(confirmed.person_id),
        name=me.name,
        token_expires_at=expires.isoformat(),
    )
    target = _safe_next(page.data.next_path)
    await page.rotate(signed_in)  # a new session id once signed in: no fixation
    return RedirectResponse(target, status_code=303)


@router.post("/signin/code", response_class=HTMLResponse)
async def code_confirm(page: PageDep, code: Annotated[str, Form(max_length=2048)] = "") -> Response:
    if not page.data.verification_id:
        return RedirectResponse("/signin", status_code=303)
    if not code.strip():
        return page.render(
            "signin_code.html", status_code=422, nav="signin", error="인증번호를 입력해 주세요."
        )
    try:
        return await _confirm(page, code.strip(), None)
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        if problem.kind in ("verification-locked", "verification-expired", "not-found"):
            page.data = SessionData()
            await page.save()
            return page.render(
                "signin.html", status_code=problem.status, nav="signin", next="/records",
                notice=None, errors={}, values={}, problem=messages.sentence(problem),
            )  # fmt: skip
        return page.render(
            "signin_code.html", status_code=problem.status, nav="signin",
            error=messages.sentence(problem),
        )  # fmt: skip


# identity's OIDC redirect URI (MEDREC_IDENTITY_OIDC_REDIRECT_URI): the provider verified a
# citizen, not a copy, but the path is the one the deployments already register.
@router.get("/verify/callback", response_class=HTMLResponse)
async def oidc_callback(
    page: PageDep,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    """Where the OpenID Connect provider sends the browser back (identity's redirect URI)."""
    if not page.data.verification_id or not code:
        return RedirectResponse("/signin", status_code=303)
    try:
        return await _confirm(page, code, state or None)
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        # An authorization code is used once and a returned state belongs to one flow: whatever
        # went wrong, this flow is over, and 본인인증 starts again from the form.
        page.data = SessionData()
        await page.save()
        sentence = messages.OIDC_PROBLEMS.get(problem.kind) or messages.sentence(problem)
        return page.render(
            "signin.html", status_code=problem.status, nav="signin", next="/records",
            notice=None, errors={}, values={}, problem=sentence,
        )  # fmt: skip


@router.post("/signout")
async def signout(page: PageDep) -> Response:
    await page.rotate()
    return RedirectResponse("/", status_code=303)
