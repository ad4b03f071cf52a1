"""Staff accounts and their sign-in.

Accounts (`create_account`, `change_roles`, `reset_second_factor`, `reset_password`, `disable`)
take the caller's session and never commit; each announces a StaffActed naming who did it, in
that transaction. `SignIn` owns its transactions: a wrong second factor must be counted even
though the request answers 401, and a sign-in's TOTP step is used once, under the account's row
lock. A session's opaque token is kept only as a hash; its access tokens live at most 15
minutes and carry the `staff` claim and the union of the roles' scopes, read from the account at
each refresh (a role taken away stops at the next refresh; a disabled account's sessions end)."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.keys import IdentityKeys
from medrec_identity.models import StaffAccount, StaffSession
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.service import sign_with_active_key
from medrec_identity.staff import credentials
from medrec_identity.staff.limits import SignInLimits
from medrec_identity.staff.repository import StaffRepository
from medrec_identity.staff.rules import (
    AccountRefused,
    Lockout,
    SessionTimes,
    account_shape,
    check_login,
    password_problem,
    totp_step_usable,
)
from medrec_shared.platform.auth import Principal, StaffMember
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import (
    Conflict,
    NotFound,
    Problem,
    Unauthorized,
    ValidationFailed,
)
from medrec_shared.platform.ratelimit import RateLimiter
from medrec_shared.rules.audit import staff_acted
from medrec_shared.rules.staff import scopes_for

log = get_logger(__name__)

ACTIVE, DISABLED = "active", "disabled"
SESSION, PASSWORD_CHANGE = "session", "password_change"
RESOURCE = "staff_account"


class SignInFailed(Unauthorized):
    """One answer whichever was wrong (login, password, second factor, a disabled account), so
    that the answer tells a guesser nothing."""

    type, title = "sign-in-failed", "Sign-in failed"


class AccountLocked(Problem):
    status, type, title = 423, "account-locked", "The account is locked"
    sends_retry_after = True


class SessionEnded(Unauthorized):
    type, title = "session-ended", "The session has ended"


def refused(error: AccountRefused) -> ValidationFailed:
    return ValidationFailed(errors=[{"field": error.field, "message": error.message}])


def token_hash(token: str) -> str:
    """Opaque tokens are 256 random bits: a plain SHA-256 is as good as a keyed one here."""
    return hashlib.sha256(token.encode()).hexdigest()


def member(account: StaffAccount) -> StaffMember:
    return StaffMember(
        account_id=str(account.account_id),
        login=account.login,
        organisation=account.organisation,
        roles=frozenset(account.roles),
        region=account.region,
    )


def account_view(account: StaffAccount) -> dict[str, object]:
    return {
        "account_id": str(account.account_id),
        "login": account.login,
        "name": account.name,
        "organisation": account.organisation,
        "roles": sorted(account.roles),
        "region": account.region,
        "status": account.status,
        "must_change_password": account.must_change_password,
        "created_at": account.created_at,
        "created_by": account.created_by,
    }


async def access_token(
    session: AsyncSession, keyring: Keyring, settings: IdentitySettings, account: StaffAccount
) -> str:
    """A staff access token: `sub` staff:<id>, the roles' scopes, the `staff` claim."""
    return await sign_with_active_key(
        session,
        keyring=keyring,
        claims={
            "sub": f"staff:{account.account_id}",
            "scope": " ".join(sorted(scopes_for(account.roles))),
            "staff": member(account).claim(),
        },
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.staff_token_ttl_seconds,
    )


# -- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAccount:
    account: StaffAccount
    password: str  # shown once
    totp_uri: str  # shown once


async def create_account(
    session: AsyncSession,
    keyring: Keyring,
    *,
    actor: Principal,
    login: str,
    name: str,
    organisation: str,
    roles: list[str],
    region: str | None,
    now: datetime,
    topic: str,
) -> NewAccount:
    """A new account with a generated password (changed at first sign-in) and TOTP secret;
    409 when the login is taken."""
    try:
        check_login(login)
        shape = account_shape(organisation, roles, region)
    except AccountRefused as error:
        raise refused(error) from None
    accounts = StaffRepository(session)
    if await accounts.by_login(login) is not None:
        raise Conflict("That login is taken.")
    password, secret = credentials.new_password(), credentials.new_totp_secret()
    account = StaffAccount(
        account_id=new_id(),
        login=login,
        name=name,
        organisation=shape.organisation,
        region=shape.region,
        roles=list(shape.roles),
        password_hash=await credentials.hashed(password),
        totp_sealed=credentials.seal_totp(keyring, secret),
        totp_last_step=None,
        must_change_password=True,
        second_factor_failures=0,
        locked_until=None,
        status=ACTIVE,
        created_at=now,
        created_by=actor.accountable[:200],
    )
    await accounts.add(account)
    _acted(session, topic, actor, "staff.create", account)
    log.info("staff_account_created", account_id=str(account.account_id), by=actor.accountable)
    return NewAccount(account, password, credentials.totp_uri(secret, login))


async def _existing(session: AsyncSession, account_id: uuid.UUID) -> StaffAccount:
    account = await StaffRepository(session).get(account_id, for_update=True)
    if account is None:
        raise NotFound("No such staff account.")
    return account


async def change_roles(
    session: AsyncSession,
    *,
    actor: Principal,
    account_id: uuid.UUID,
    roles: list[str],
    region: str | None,
    topic: str,
) -> StaffAccount:
    account = await _existing(session, account_id)
    try:
        shape = account_shape(account.organisation, roles, region)
    except AccountRefused as error:
        raise refused(error) from None
    account.roles, account.region = list(shape.roles), shape.region
    _acted(session, topic, actor, "staff.roles", account, reason=" ".join(shape.roles))
    return account


async def reset_second_factor(
    session: AsyncSession,
    keyring: Keyring,
    *,
    actor: Principal,
    account_id: uuid.UUID,
    now: datetime,
    topic: str,
) -> str:
    """A new TOTP secret (its URI, shown once); the lock and the failures go, and every
    session of the account ends (whoever held the old secret is signed out)."""
    account = await _existing(session, account_id)
    secret = credentials.new_totp_secret()
    account.totp_sealed = credentials.seal_totp(keyring, secret)
    account.totp_last_step = None
    account.second_factor_failures, account.locked_until = 0, None
    await StaffRepository(session).end_sessions(account.account_id, now)
    _acted(session, topic, actor, "staff.second_factor_reset", account)
    return credentials.totp_uri(secret, account.login)


async def reset_password(
    session: AsyncSession, *, actor: Principal, account_id: uuid.UUID, now: datetime, topic: str
) -> str:
    """A new generated password (shown once), to be changed at the next sign-in; every
    session of the account ends."""
    account = await _existing(session, account_id)
    password = credentials.new_password()
    account.password_hash = await credentials.hashed(password)
    account.must_change_password = True
    await StaffRepository(session).end_sessions(account.account_id, now)
    _acted(session, topic, actor, "staff.password_reset", account)
    return password


async def disable(
    session: AsyncSession, *, actor: Principal, account_id: uuid.UUID, now: datetime, topic: str
) -> StaffAccount:
    """The account signs in no more; its sessions end (its access tokens live out their
    minutes). Disabling twice changes nothing more; no one disables their own account (the
    last platform person could lock everyone out of staff management)."""
    if actor.staff is not None and actor.staff.account_id == str(account_id):
        raise Conflict("You cannot disable your own account.")
    account = await _existing(session, account_id)
    if account.status != DISABLED:
        account.status = DISABLED
        await StaffRepository(session).end_sessions(account.account_id, now)
        _acted(session, topic, actor, "staff.disable", account)
    return account


def _acted(
    session: AsyncSession,
    topic: str,
    actor: Principal,
    act: str,
    account: StaffAccount,
    *,
    reason: str | None = None,
) -> None:
    event = staff_acted(actor, act, RESOURCE, str(account.account_id), reason=reason)
    announce(session, topic, event.actor, event)


# -- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    access_token: str
    expires_in: int
    session_expires_at: datetime
    account: StaffAccount


@dataclass(frozen=True)
class ChangeRequired:
    change_token: str
    expires_in: int


@dataclass(frozen=True)
class Refreshed:
    access_token: str
    expires_in: int
    session_expires_at: datetime


@dataclass
class SignIn:
    transactions: Transactions
    settings: IdentitySettings
    keyring: Keyring
    keys: IdentityKeys
    clock: Clock
    limiter: RateLimiter

    @property
    def times(self) -> SessionTimes:
        return SessionTimes(
            absolute=timedelta(seconds=self.settings.staff_session_absolute_seconds),
            idle=timedelta(seconds=self.settings.staff_session_idle_seconds),
        )

    @property
    def lockout(self) -> Lockout:
        return Lockout(
            failures=self.settings.staff_second_factor_failures,
            duration=timedelta(seconds=self.settings.staff_lock_seconds),
        )

    async def with_password(
        self, login: str, password: str, totp: str, address: str
    ) -> SignedIn | ChangeRequired:
        limits = SignInLimits.of(self.settings, self.keys, login, address)
        await limits.take(self.limiter)
        async with self.transactions.read() as session:
            found = await StaffRepository(session).by_login(login)
        hashed = found.password_hash if found is not None else None
        if not await credentials.password_matches(password, hashed) or found is None:
            await limits.failed(self.limiter)
            raise SignInFailed("The login, the password or the code is wrong.")
        now = self.clock.now()
        async with self.transactions.begin() as session:
            account = await StaffRepository(session).get(found.account_id, for_update=True)
            if account is None or account.status != ACTIVE:
                raise SignInFailed("The login, the password or the code is wrong.")
            if self.lockout.locked(account.locked_until, now):
                assert account.locked_until is not None
                wait = max(1, int((account.locked_until - now).total_seconds()))
                raise AccountLocked(
                    "Too many wrong codes: the account is locked for a while.",
                    headers={"Retry-After": str(wait)},
                )
            step = credentials.totp_step(
                credentials.unseal_totp(self.keyring, account.totp_sealed), totp, now
            )
            good = step is not None and totp_step_usable(step, account.totp_last_step)
            if not good:
                failures, until = self.lockout.after_failure(account.second_factor_failures, now)
                account.second_factor_failures, account.locked_until = failures, until
                if until is not None:
                    log.warning("staff_account_locked", account_id=str(account.account_id))
            else:
                account.totp_last_step = step
                account.second_factor_failures, account.locked_until = 0, None
                if account.must_change_password:
                    return await self._change_step(session, account, now)
                return await self._open(session, account, now)
        # The failure is committed above; the answer is the same as for a wrong password.
        raise SignInFailed("The login, the password or the code is wrong.")

    async def _change_step(
        self, session: AsyncSession, account: StaffAccount, now: datetime
    ) -> ChangeRequired:
        token = secrets.token_urlsafe(32)
        ttl = self.settings.staff_password_change_seconds
        await StaffRepository(session).add_session(
            StaffSession(
                session_id=new_id(),
                account_id=account.account_id,
                token_hash=token_hash(token),
                purpose=PASSWORD_CHANGE,
                created_at=now,
                last_used_at=now,
                expires_at=now + timedelta(seconds=ttl),
                ended_at=None,
            )
        )
        return ChangeRequired(change_token=token, expires_in=ttl)

    async def _open(self, session: AsyncSession, account: StaffAccount, now: datetime) -> SignedIn:
        token = secrets.token_urlsafe(32)
        ends = self.times.ends_at(now)
        await StaffRepository(session).add_session(
            StaffSession(
                session_id=new_id(),
                account_id=account.account_id,
                token_hash=token_hash(token),
                purpose=SESSION,
                created_at=now,
                last_used_at=now,
                expires_at=ends,
                ended_at=None,
            )
        )
        log.info("staff_signed_in", account_id=str(account.account_id))
        return SignedIn(
            session_token=token,
            access_token=await access_token(session, self.keyring, self.settings, account),
            expires_in=self.settings.staff_token_ttl_seconds,
            session_expires_at=ends,
            account=account,
        )

    async def open_for(self, account_id: uuid.UUID) -> SignedIn:
        """A session for an account another way of signing in vouched for (OIDC)."""
        now = self.clock.now()
        async with self.transactions.begin() as session:
            account = await StaffRepository(session).get(account_id, for_update=True)
            if account is None or account.status != ACTIVE:
                raise SignInFailed("The sign-in failed.")
            return await self._open(session, account, now)

    async def change_password(self, change_token: str, new_password: str) -> SignedIn:
        now = self.clock.now()
        async with self.transactions.begin() as session:
            accounts = StaffRepository(session)
            step = await accounts.session_by_hash(token_hash(change_token), PASSWORD_CHANGE)
            if step is None or step.ended_at is not None or now >= step.expires_at:
                raise SignInFailed("Sign in again: the password change has expired.")
            account = await accounts.get(step.account_id, for_update=True)
            if account is None or account.status != ACTIVE:
                raise SignInFailed("Sign in again.")
            problem = password_problem(account.login, new_password)
            if problem is None and await credentials.password_matches(
                new_password, account.password_hash
            ):
                problem = "not the password it replaces"
            if problem is not None:
                raise ValidationFailed(errors=[{"field": "new_password", "message": problem}])
            account.password_hash = await credentials.hashed(new_password)
            account.must_change_password = False
            step.ended_at = now
            return await self._open(session, account, now)

    async def refresh(self, session_token: str) -> Refreshed:
        now = self.clock.now()
        async with self.transactions.begin() as session:
            accounts = StaffRepository(session)
            row = await accounts.session_by_hash(token_hash(session_token), SESSION)
            alive = (
                row is not None
                and row.ended_at is None
                and self.times.alive(
                    expires_at=row.expires_at, last_used_at=row.last_used_at, now=now
                )
            )
            if row is None or not alive:
                raise SessionEnded("Sign in again.")
            account = await accounts.get(row.account_id)
            if account is not None and account.status == ACTIVE:
                row.last_used_at = now
                token = await access_token(session, self.keyring, self.settings, account)
                return Refreshed(token, self.settings.staff_token_ttl_seconds, row.expires_at)
            row.ended_at = now  # committed: the account is gone or disabled, the session over
        raise SessionEnded("Sign in again.")

    async def end(self, session_token: str) -> None:
        now = self.clock.now()
        async with self.transactions.begin() as session:
            row = await StaffRepository(session).session_by_hash(token_hash(session_token), SESSION)
            if row is not None and row.ended_at is None:
                row.ended_at = now
