"""The rules of staff accounts, without I/O: what an account may be (roles from
medrec_shared.rules.staff.ROLES; a health centre's people have its region), what a password must
be, when a TOTP code counts (once: never a step at or before the last one used), when a session
has ended (8 hours after sign-in, or 30 minutes after its last refresh) and when the second
factor's failures lock an account (only failures after the right password count: a stranger who
knows a login cannot lock its owner out)."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from medrec_shared.rules.staff import ROLES, SERVICE_ORGANISATION

LOGIN = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
REGION = re.compile(r"^\d{2}$")  # a province code (11 서울, 26 부산, …)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256  # argon2 takes more; a longer "password" is a request to slow us down


class AccountRefused(ValueError):
    """An account that may not be: the field at fault and why (said to the caller as a 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AccountShape:
    """What an account is allowed to be: checked on creation and on every change of roles."""

    organisation: str
    roles: tuple[str, ...]
    region: str | None


def check_login(login: str) -> str:
    if not LOGIN.fullmatch(login):
        raise AccountRefused(
            "login", "3 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter"
        )
    return login


def account_shape(organisation: str, roles: list[str], region: str | None) -> AccountShape:
    """The account's organisation, roles and region, checked together: roles are known and not
    empty; a health centre's ("hc:<region>") people hold the health_centre role only, with that
    region; health_centre needs a region; a region is only for health_centre."""
    held = tuple(sorted(set(roles)))
    if not held:
        raise AccountRefused("roles", "at least one role")
    unknown = set(held) - set(ROLES)
    if unknown:
        raise AccountRefused("roles", f"unknown roles: {', '.join(sorted(unknown))}")
    if region is not None and not REGION.fullmatch(region):
        raise AccountRefused("region", "a two-digit region code")
    if organisation.startswith("hc:"):
        centre = organisation.removeprefix("hc:")
        if not REGION.fullmatch(centre):
            raise AccountRefused("organisation", "'khis' or 'hc:<two-digit region code>'")
        if held != ("health_centre",):
            raise AccountRefused("roles", "a health centre's people hold the health_centre role")
        region = region or centre
        if region != centre:
            raise AccountRefused("region", "a health centre's people oversee its own region")
    elif organisation != SERVICE_ORGANISATION:
        raise AccountRefused("organisation", "'khis' or 'hc:<two-digit region code>'")
    if "health_centre" in held and region is None:
        raise AccountRefused("region", "the health_centre role needs a region")
    if "health_centre" not in held and region is not None:
        raise AccountRefused("region", "a region is only for the health_centre role")
    return AccountShape(organisation, held, region)


def password_problem(login: str, password: str) -> str | None:
    """Why `password` may not be a staff password, or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"at most {PASSWORD_MAX_LENGTH} characters"
    if password.strip().lower() == login.lower():
        return "not the login"
    return None


@dataclass(frozen=True)
class SessionTimes:
    absolute: timedelta  # from sign-in, whatever happens
    idle: timedelta  # from the last refresh

    def ends_at(self, created_at: datetime) -> datetime:
        return created_at + self.absolute

    def alive(self, *, expires_at: datetime, last_used_at: datetime, now: datetime) -> bool:
        return now < expires_at and now < last_used_at + self.idle


@dataclass(frozen=True)
class Lockout:
    """`failures` wrong second factors (each after the right password) lock the account for
    `duration`; a good sign-in, or a reset of the second factor, forgets them."""

    failures: int
    duration: timedelta

    def locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """The new failure count, and the end of the lock it brings (None: not locked)."""
        failures += 1
        if failures >= self.failures:
            return 0, now + self.duration
        return failures, None


def totp_step_usable(step: int, last_used: int | None) -> bool:
    """A code's time step counts once: never one at or before the last step used."""
    return last_used is None or step > last_used
