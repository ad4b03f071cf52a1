"""Staff sign-in (the console calls these, never a browser directly) and the staff accounts API
(scope staff:manage)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from medrec_identity.clients.oauth import NO_STORE
from medrec_identity.deps import AppClock, FieldKeyring, Identity, Session, Settings, client_address
from medrec_identity.models import StaffAccount
from medrec_identity.staff import service
from medrec_identity.staff.repository import StaffRepository
from medrec_identity.staff.schemas import (
    AccountCreated,
    AccountIn,
    AccountOut,
    AccountPage,
    ChangeRequiredOut,
    OidcFinishIn,
    OidcStartIn,
    OidcStartOut,
    PasswordChangeIn,
    PasswordReset,
    RefreshedOut,
    RolesIn,
    SessionTokenIn,
    SignedInOut,
    SignInIn,
    StaffOut,
    TotpReset,
)
from medrec_identity.staff.service import (
    AccountLocked,
    ChangeRequired,
    SessionEnded,
    SignedIn,
    SignInFailed,
)
from medrec_identity.verification.port import ProviderError, ProviderUnavailable
from medrec_shared.platform.auth import Principal, require_scope
from medrec_shared.platform.openapi import problem_responses
from medrec_shared.platform.problems import Conflict, NotFound
from medrec_shared.platform.ratelimit import RateLimited
from medrec_shared.rules.staff import STAFF_MANAGE

router = APIRouter(tags=["staff"])


def _sign_in(c: Identity) -> service.SignIn:
    return c.staff_sign_in


SignInDep = Annotated[service.SignIn, Depends(_sign_in)]


def _signed_in(done: SignedIn, response: Response) -> SignedInOut:
    response.status_code = 201
    response.headers.update(NO_STORE)
    account = done.account
    return SignedInOut(
        session_token=done.session_token,
        access_token=done.access_token,
        expires_in=done.expires_in,
        session_expires_at=done.session_expires_at,
        staff=StaffOut(
            account_id=account.account_id,
            login=account.login,
            name=account.name,
            organisation=account.organisation,
            roles=sorted(account.roles),
            region=account.region,
        ),
    )


@router.post(
    "/v1/staff/sessions",
    status_code=201,
    response_model=SignedInOut | ChangeRequiredOut,
    responses={
        200: {"model": ChangeRequiredOut, "description": "the password must be changed first"},
        **problem_responses(SignInFailed, AccountLocked, RateLimited, NotFound),
    },
)
async def sign_in(
    body: SignInIn, request: Request, response: Response, sign_in: SignInDep, settings: Settings
) -> SignedInOut | ChangeRequiredOut:
    """Sign in with login, password and the authenticator's code. 401 sign-in-failed whichever
    was wrong; 429 when this address tried too often; 423 only after repeated wrong codes that
    came with the right password. 404 when staff sign in through OIDC."""
    if settings.staff_sign_in != "password":
        raise NotFound("Staff sign in through the organisation's provider.")
    done = await sign_in.with_password(
        body.login, body.password, body.totp, client_address(request)
    )
    if isinstance(done, ChangeRequired):
        response.status_code = 200
        response.headers.update(NO_STORE)
        return ChangeRequiredOut(change_token=done.change_token, expires_in=done.expires_in)
    return _signed_in(done, response)


@router.post(
    "/v1/staff/password",
    status_code=201,
    response_model=SignedInOut,
    responses=problem_responses(SignInFailed),
)
async def change_password(
    body: PasswordChangeIn, response: Response, sign_in: SignInDep
) -> SignedInOut:
    """The forced password change (first sign-in, or after a reset): signs in."""
    return _signed_in(await sign_in.change_password(body.change_token, body.new_password), response)


@router.post(
    "/v1/staff/sessions/refresh",
    response_model=RefreshedOut,
    responses=problem_responses(SessionEnded),
)
async def refresh(body: SessionTokenIn, response: Response, sign_in: SignInDep) -> RefreshedOut:
    """A new access token; 401 when the session ended (signed out, 8 hours since sign-in, or 30
    minutes since the last refresh)."""
    done = await sign_in.refresh(body.session_token)
    response.headers.update(NO_STORE)
    return RefreshedOut(
        access_token=done.access_token,
        expires_in=done.expires_in,
        session_expires_at=done.session_expires_at,
    )


@router.post("/v1/staff/sessions/end", status_code=204)
async def end_session(body: SessionTokenIn, sign_in: SignInDep) -> None:
    """Sign out (answers 204 whatever the session was)."""
    await sign_in.end(body.session_token)


@router.post(
    "/v1/staff/oidc/start",
    response_model=OidcStartOut,
    responses=problem_responses(NotFound, ProviderUnavailable),
)
async def oidc_start(body: OidcStartIn, c: Identity) -> OidcStartOut:
    """Staff sign-in through the organisation's OpenID Connect provider (production)."""
    if c.staff_oidc is None:
        raise NotFound("Staff sign in with a password here.")
    url, state = await c.staff_oidc.start(body.redirect_uri)
    return OidcStartOut(authorization_url=url, state=state)


@router.post(
    "/v1/staff/oidc/finish",
    status_code=201,
    response_model=SignedInOut,
    responses=problem_responses(SignInFailed, NotFound, ProviderUnavailable, ProviderError),
)
async def oidc_finish(
    body: OidcFinishIn, response: Response, c: Identity, sign_in: SignInDep
) -> SignedInOut:
    """The provider's code back: signs in the active account its ID token names."""
    if c.staff_oidc is None:
        raise NotFound("Staff sign in with a password here.")
    account_id = await c.staff_oidc.finish(body.state, body.code, body.redirect_uri)
    return _signed_in(await sign_in.open_for(account_id), response)


# -- staff accounts (staff:manage) -----------------------------------------------------------

Manager = Annotated[Principal, require_scope(STAFF_MANAGE)]


def _out(account: StaffAccount) -> AccountOut:
    return AccountOut.model_validate(service.account_view(account))


@router.get("/v1/admin/staff", response_model=AccountPage)
async def list_accounts(
    session: Session,
    _: Manager,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> AccountPage:
    accounts = await StaffRepository(session).page(cursor, limit + 1)
    more = len(accounts) > limit
    accounts = accounts[:limit]
    return AccountPage(
        items=[_out(a) for a in accounts], next_cursor=accounts[-1].login if more else None
    )


@router.post(
    "/v1/admin/staff",
    status_code=201,
    response_model=AccountCreated,
    responses=problem_responses(Conflict),
)
async def create_account(
    body: AccountIn,
    response: Response,
    session: Session,
    keyring: FieldKeyring,
    settings: Settings,
    clock: AppClock,
    actor: Manager,
) -> AccountCreated:
    made = await service.create_account(
        session,
        keyring,
        actor=actor,
        login=body.login,
        name=body.name,
        organisation=body.organisation,
        roles=body.roles,
        region=body.region,
        now=clock.now(),
        topic=settings.topic_audit,
    )
    response.headers.update(NO_STORE)
    return AccountCreated(
        account=_out(made.account), password=made.password, totp_uri=made.totp_uri
    )


@router.put("/v1/admin/staff/{account_id}/roles", response_model=AccountOut)
async def change_roles(
    account_id: uuid.UUID, body: RolesIn, session: Session, settings: Settings, actor: Manager
) -> AccountOut:
    account = await service.change_roles(
        session,
        actor=actor,
        account_id=account_id,
        roles=body.roles,
        region=body.region,
        topic=settings.topic_audit,
    )
    return _out(account)


@router.post("/v1/admin/staff/{account_id}/second-factor-reset", response_model=TotpReset)
async def reset_second_factor(
    account_id: uuid.UUID,
    response: Response,
    session: Session,
    keyring: FieldKeyring,
    settings: Settings,
    clock: AppClock,
    actor: Manager,
) -> TotpReset:
    uri = await service.reset_second_factor(
        session,
        keyring,
        actor=actor,
        account_id=account_id,
        now=clock.now(),
        topic=settings.topic_audit,
    )
    response.headers.update(NO_STORE)
    return TotpReset(totp_uri=uri)


@router.post("/v1/admin/staff/{account_id}/password-reset", response_model=PasswordReset)
async def reset_password(
    account_id: uuid.UUID,
    response: Response,
    session: Session,
    settings: Settings,
    clock: AppClock,
    actor: Manager,
) -> PasswordReset:
    password = await service.reset_password(
        session, actor=actor, account_id=account_id, now=clock.now(), topic=settings.topic_audit
    )
    response.headers.update(NO_STORE)
    return PasswordReset(password=password)


@router.post(
    "/v1/admin/staff/{account_id}/disable",
    response_model=AccountOut,
    responses=problem_responses(Conflict),
)
async def disable(
    account_id: uuid.UUID, session: Session, settings: Settings, clock: AppClock, actor: Manager
) -> AccountOut:
    account = await service.disable(
        session, actor=actor, account_id=account_id, now=clock.now(), topic=settings.topic_audit
    )
    return _out(account)
