"""Who may act online for a child, and until when: the guardianship rule every service applies.

The rule (DOMAIN.md, "Guardians"): a parent with parental authority (친권자), or a court-appointed
guardian (후견인), may act for a child whose age on the day of the request is below the limit in
force on that day. Ages are full years (만 나이) in Asia/Seoul; someone born on 29 February becomes
a year older on 1 March in common years. Anyone else (an unrelated person, a relative under
Art. 21) gets no automatic online access.

The limits are dated policy data, :data:`POLICY`; the next change is one more row.

identity applies :func:`decide` when it lists a citizen's children and when it mints a token to
act for one. Catalog and issuance call :func:`guardian_token_usable` (or
:func:`guardian_token_decision` for the reason) at each use, so a token minted the evening before
the child's birthday stops working at midnight in Seoul, whatever its `exp` says.

A guardian token's claims (RFC 8693 shape, see :func:`guardian_claims`)::

    sub                          the child's person_id
    person_key                   the child's keyed hash
    act                          {"sub": guardian's person_id, "person_key": guardian's key}
    subject_birth_date           "YYYY-MM-DD", the child's birth date
    guardian_relation            "parent" | "guardian"
    guardian_parental_authority  true | false
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

from medrec_shared.platform.auth import token_verifier
from medrec_shared.platform.clock import KST, korean_date
from medrec_shared.platform.problems import Forbidden, Problem

if TYPE_CHECKING:
    from medrec_shared.platform.auth import Principal, TokenVerifier
    from medrec_shared.platform.settings import ServiceSettings

__all__ = [
    "CLAIM_PARENTAL_AUTHORITY",
    "CLAIM_RELATION",
    "CLAIM_SUBJECT_BIRTH_DATE",
    "POLICY",
    "SEOUL",
    "AgeLimitReached",
    "Decision",
    "GuardianPolicy",
    "GuardianshipRefused",
    "NoParentalAuthority",
    "NotAGuardian",
    "Refusal",
    "Relation",
    "age_on",
    "api_token_verifier",
    "check_guardian_token",
    "decide",
    "guardian_claims",
    "guardian_token_decision",
    "guardian_token_usable",
    "limit_on",
    "next_midnight",
    "refusal_problem",
]

SEOUL = KST  # Korea's time zone is defined once, in the clock port (it says why Asia/Seoul)

Relation = Literal["parent", "guardian"]
"""`parent`: a parent (parental authority decides); `guardian`: a court-appointed guardian."""
RELATIONS: frozenset[str] = frozenset(get_args(Relation))

CLAIM_SUBJECT_BIRTH_DATE = "subject_birth_date"
CLAIM_RELATION = "guardian_relation"
CLAIM_PARENTAL_AUTHORITY = "guardian_parental_authority"


@dataclass(frozen=True)
class GuardianPolicy:
    """From `in_force_from` (a day in Seoul) on, a guardian may act for a child under `age_under`
    full years."""

    in_force_from: date
    age_under: int


# Dated policy data, oldest first. The first row has no real start: it is "before the next one".
POLICY: tuple[GuardianPolicy, ...] = (
    GuardianPolicy(in_force_from=date.min, age_under=14),
    GuardianPolicy(in_force_from=date(2026, 3, 1), age_under=19),
)


class Refusal(enum.Enum):
    """Why the rule refuses; the value is what APIs show as `reason`."""

    AGE_LIMIT = "age_limit"
    NOT_A_GUARDIAN = "not_a_guardian"
    NO_PARENTAL_AUTHORITY = "no_parental_authority"


@dataclass(frozen=True)
class Decision:
    """The rule's answer for one child on one day (`day` and `age` are in Seoul)."""

    allowed: bool
    reason: Refusal | None
    day: date
    age: int
    limit: int


# -- problems (RFC 9457), one type per refusal -----------------------------------------------


class GuardianshipRefused(Forbidden):
    """Base of the three refusals; `reason` is added to the problem body."""

    refusal: Refusal

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, extra={"reason": self.refusal.value})


class AgeLimitReached(GuardianshipRefused):
    type, title = "guardian-age-limit", "The child is too old for a guardian to act online"
    refusal = Refusal.AGE_LIMIT


class NotAGuardian(GuardianshipRefused):
    type, title = "not-a-guardian", "Not a parent or court-appointed guardian of this person"
    refusal = Refusal.NOT_A_GUARDIAN


class NoParentalAuthority(GuardianshipRefused):
    type, title = "no-parental-authority", "The parent does not hold parental authority"
    refusal = Refusal.NO_PARENTAL_AUTHORITY


_PROBLEMS: dict[Refusal, type[GuardianshipRefused]] = {
    Refusal.AGE_LIMIT: AgeLimitReached,
    Refusal.NOT_A_GUARDIAN: NotAGuardian,
    Refusal.NO_PARENTAL_AUTHORITY: NoParentalAuthority,
}


def refusal_problem(reason: Refusal, detail: str | None = None) -> Problem:
    """The 403 problem to raise for a refusal."""
    return _PROBLEMS[reason](detail)


# -- the rule ----------------------------------------------------------------------------------


def next_midnight(now: datetime) -> datetime:
    """The next midnight in Seoul after `now`, as an aware datetime."""
    tomorrow = korean_date(now) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=SEOUL)


def age_on(birth_date: date, day: date) -> int:
    """Full years (만 나이) on `day`. A year is added on the birthday; a 29 February birthday
    adds it on 1 March in common years (28 February < 29 February in the comparison)."""
    if day < birth_date:
        raise ValueError("the day is before the birth date")
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def limit_on(day: date) -> int:
    """The age limit in force on `day`: a guardian may act for a child *under* this age."""
    in_force = [row for row in POLICY if row.in_force_from <= day]
    return max(in_force, key=lambda row: row.in_force_from).age_under


def decide(
    relation: Relation | None,
    parental_authority: bool,
    child_birth_date: date,
    now: datetime,
) -> Decision:
    """May someone with `relation` to the child act for them at instant `now`?

    `relation` is None for someone unrelated (or a relation that gives no online access).
    `parental_authority` matters for parents only; a court-appointed guardian needs none.
    The relationship is checked before the age, so the reason names the first failing condition.
    """
    day = korean_date(now)
    age = age_on(child_birth_date, day)
    limit = limit_on(day)
    reason: Refusal | None = None
    if relation is None or relation not in RELATIONS:
        reason = Refusal.NOT_A_GUARDIAN
    elif relation == "parent" and not parental_authority:
        reason = Refusal.NO_PARENTAL_AUTHORITY
    elif age >= limit:
        reason = Refusal.AGE_LIMIT
    return Decision(allowed=reason is None, reason=reason, day=day, age=age, limit=limit)


# -- guardian tokens ---------------------------------------------------------------------------


def guardian_claims(
    relation: Relation, parental_authority: bool, child_birth_date: date
) -> dict[str, Any]:
    """The claims a guardian token carries for the re-check at each use (besides `act`)."""
    return {
        CLAIM_SUBJECT_BIRTH_DATE: child_birth_date.isoformat(),
        CLAIM_RELATION: relation,
        CLAIM_PARENTAL_AUTHORITY: parental_authority,
    }


def guardian_token_decision(claims: Mapping[str, Any], now: datetime) -> Decision | None:
    """The rule re-applied from a token's claims at `now`.

    None when the token is not a guardian token (no `act`): nothing to re-check. A guardian token
    whose re-check claims are missing or malformed is refused as not a guardian (fail closed).
    """
    act = claims.get("act")
    if not act:
        return None
    day = korean_date(now)
    try:
        born = date.fromisoformat(str(claims[CLAIM_SUBJECT_BIRTH_DATE]))
        relation = claims[CLAIM_RELATION]
        authority = claims[CLAIM_PARENTAL_AUTHORITY]
        if not isinstance(act, Mapping) or not act.get("sub"):
            raise ValueError("act without a subject")
        if relation not in RELATIONS or not isinstance(authority, bool) or born > day:
            raise ValueError("malformed guardian claims")
    except (KeyError, TypeError, ValueError):
        limit = limit_on(day)
        return Decision(False, Refusal.NOT_A_GUARDIAN, day=day, age=-1, limit=limit)
    return decide(relation, authority, born, now)


def guardian_token_usable(claims: dict[str, Any], now: datetime) -> bool:
    """Whether a token may be used at `now`: True for tokens that act for nobody; for a guardian
    token, whether the rule still allows it (e.g. False from midnight in Seoul on the child's
    birthday that reaches the limit). Call at each use, with the verified claims."""
    decision = guardian_token_decision(claims, now)
    return decision is None or decision.allowed


def api_token_verifier(settings: ServiceSettings) -> TokenVerifier:
    """The token verifier of every medrec API: identity's keys, and the guardian re-check below
    at every use of a token."""
    return token_verifier(settings, checks=(check_guardian_token,))


def check_guardian_token(principal: Principal, now: datetime) -> None:
    """The re-check at every use of a token, as each API's token verifier runs it (a
    `medrec_shared.platform.auth.PrincipalCheck`, handed in by the service's composition): a
    guardian's token stops working at midnight in Seoul on the birthday that takes the child past
    the limit, whatever its expiry says. A token acting for nobody passes."""
    if principal.actor is None:
        return
    decision = guardian_token_decision(principal.claims, now)
    if decision is not None and not decision.allowed:
        assert decision.reason is not None
        raise refusal_problem(decision.reason)
