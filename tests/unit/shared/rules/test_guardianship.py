"""The guardianship rule, table by table: ages in Seoul, the dated limits, relations."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from medrec_shared.platform.auth import JwksCache, Principal, TokenVerifier
from medrec_shared.rules import guardianship as g
from medrec_shared.rules.guardianship import SEOUL, Refusal

BEFORE = date(2026, 2, 28)  # the last day of "under 14"
FROM = date(2026, 3, 1)  # the first day of "under 19"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An instant on `day` in Seoul."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


def born_years_before(day: date, years: int, days_after: int = 0) -> date:
    """A birth date making the child `years` old on `day`: with `days_after` = 0 that day is the
    birthday; otherwise the next birthday is `days_after` days later."""
    if days_after == 0:
        return day.replace(year=day.year - years)
    birthday = day + timedelta(days=days_after)
    return birthday.replace(year=birthday.year - years - 1)


# -- ages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2012, 3, 1), date(2026, 2, 28), 13),  # the day before the birthday
        (date(2012, 3, 1), date(2026, 3, 1), 14),  # on the birthday
        (date(2012, 2, 28), date(2026, 2, 28), 14),
        (date(2007, 12, 31), date(2026, 12, 30), 18),
        (date(2007, 12, 31), date(2026, 12, 31), 19),
        (date(2026, 3, 1), date(2026, 3, 1), 0),  # born today
        # 29 February: a year older on 1 March in common years, on 29 February in leap years.
        (date(2012, 2, 29), date(2025, 2, 28), 12),
        (date(2012, 2, 29), date(2025, 3, 1), 13),
        (date(2012, 2, 29), date(2026, 2, 28), 13),
        (date(2012, 2, 29), date(2026, 3, 1), 14),
        (date(2012, 2, 29), date(2024, 2, 28), 11),
        (date(2012, 2, 29), date(2024, 2, 29), 12),
    ],
)
def test_age_in_full_years(birth: date, day: date, age: int) -> None:
    assert g.age_on(birth, day) == age


def test_no_age_before_birth() -> None:
    with pytest.raises(ValueError):
        g.age_on(date(2020, 1, 2), date(2020, 1, 1))


# -- the dated limit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "limit"),
    [
        (date(2000, 1, 1), 14),
        (BEFORE, 14),
        (FROM, 19),
        (date(2030, 6, 1), 19),
    ],
)
def test_limit_in_force_on_a_day(day: date, limit: int) -> None:
    assert g.limit_on(day) == limit


def test_the_policy_is_a_table_of_dated_rows() -> None:
    assert [(r.in_force_from, r.age_under) for r in g.POLICY] == [
        (date.min, 14),
        (date(2026, 3, 1), 19),
    ]


def test_a_new_row_changes_the_limit_from_its_day(monkeypatch: pytest.MonkeyPatch) -> None:
    new_row = g.GuardianPolicy(in_force_from=date(2030, 1, 1), age_under=20)
    monkeypatch.setattr(g, "POLICY", (*g.POLICY, new_row))
    assert g.limit_on(date(2029, 12, 31)) == 19
    assert g.limit_on(date(2030, 1, 1)) == 20


# -- decide: ages on both sides of 2026-03-01 ------------------------------------------------


@pytest.mark.parametrize(
    ("day", "age", "allowed"),
    [
        (BEFORE, 13, True),
        (BEFORE, 14, False),
        (BEFORE, 18, False),
        (BEFORE, 19, False),
        (FROM, 13, True),
        (FROM, 14, True),
        (FROM, 18, True),
        (FROM, 19, False),
    ],
)
def test_parent_with_authority_by_age_and_day(day: date, age: int, allowed: bool) -> None:
    birth = born_years_before(day, age, days_after=30)  # `age` now, birthday a month away
    decision = g.decide("parent", True, birth, at(day))
    assert (decision.allowed, decision.age, decision.day) == (allowed, age, day)
    assert decision.reason is (None if allowed else Refusal.AGE_LIMIT)
    assert decision.limit == (14 if day < FROM else 19)


@pytest.mark.parametrize(
    ("day", "turning", "allowed_on_birthday"),
    [
        (BEFORE, 14, False),  # turns 14 on the day of the request: refused
        (FROM, 14, True),
        (FROM, 19, False),  # turns 19 on the day of the request: refused
        (date(2026, 5, 5), 18, True),
    ],
)
def test_birthday_on_the_day_of_the_request(
    day: date, turning: int, allowed_on_birthday: bool
) -> None:
    birth = born_years_before(day, turning)
    eve = day - timedelta(days=1)
    assert g.decide("parent", True, birth, at(day, 0, 0)).allowed is allowed_on_birthday
    assert g.decide("parent", True, birth, at(day, 23, 59)).allowed is allowed_on_birthday
    # The day before the birthday the child is a year younger (and the limit may differ).
    assert g.decide("parent", True, birth, at(eve, 23, 59)).age == turning - 1


def test_the_day_is_taken_in_seoul_not_utc() -> None:
    birth = date(2008, 3, 10)  # turns 18 on 2026-03-10 ... and 19 on 2027-03-10
    eve_utc = datetime(2027, 3, 9, 15, 30, tzinfo=UTC)  # 2027-03-10 00:30 in Seoul
    assert g.decide("parent", True, birth, eve_utc).allowed is False
    assert g.decide("parent", True, birth, eve_utc - timedelta(hours=1)).allowed is True


def test_a_29_february_birthday_in_a_common_year() -> None:
    birth = date(2008, 2, 29)  # 19 on 2027-03-01 (2027 is a common year)
    assert g.decide("parent", True, birth, at(date(2027, 2, 28), 23, 59)).allowed is True
    decision = g.decide("parent", True, birth, at(date(2027, 3, 1), 0, 0))
    assert (decision.allowed, decision.reason, decision.age) == (False, Refusal.AGE_LIMIT, 19)


def test_a_29_february_child_turning_14_when_the_limit_rises() -> None:
    # Born 2012-02-29: 13 on 2026-02-28, 14 on 2026-03-01 when the limit becomes 19.
    birth = date(2012, 2, 29)
    assert g.decide("parent", True, birth, at(BEFORE)).allowed is True
    assert g.decide("parent", True, birth, at(FROM)).allowed is True


def test_a_15_year_old_becomes_eligible_again_when_the_limit_rises() -> None:
    birth = date(2011, 1, 1)
    assert g.decide("guardian", False, birth, at(BEFORE)).reason is Refusal.AGE_LIMIT
    assert g.decide("guardian", False, birth, at(FROM)).allowed is True


# -- decide: relations -----------------------------------------------------------------------

CHILD = date(2018, 6, 1)  # 7 or 8: always under the limit


@pytest.mark.parametrize(
    ("relation", "authority", "reason"),
    [
        ("parent", True, None),
        ("parent", False, Refusal.NO_PARENTAL_AUTHORITY),
        ("guardian", True, None),
        ("guardian", False, None),  # a court-appointed guardian needs no parental authority
        (None, True, Refusal.NOT_A_GUARDIAN),  # unrelated
        (None, False, Refusal.NOT_A_GUARDIAN),
        ("grandparent", True, Refusal.NOT_A_GUARDIAN),  # a relation with no online access
    ],
)
def test_relations(relation: Any, authority: bool, reason: Refusal | None) -> None:
    for day in (BEFORE, FROM):
        decision = g.decide(relation, authority, CHILD, at(day))
        assert decision.reason is reason
        assert decision.allowed is (reason is None)


def test_the_relationship_is_named_before_the_age() -> None:
    old = date(2000, 1, 1)
    assert g.decide(None, True, old, at(FROM)).reason is Refusal.NOT_A_GUARDIAN
    assert g.decide("parent", False, old, at(FROM)).reason is Refusal.NO_PARENTAL_AUTHORITY
    assert g.decide("guardian", False, old, at(FROM)).reason is Refusal.AGE_LIMIT


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        g.decide("parent", True, CHILD, datetime(2026, 3, 1, 12))


@pytest.mark.parametrize(
    ("reason", "status", "problem_type"),
    [
        (Refusal.AGE_LIMIT, 403, "guardian-age-limit"),
        (Refusal.NOT_A_GUARDIAN, 403, "not-a-guardian"),
        (Refusal.NO_PARENTAL_AUTHORITY, 403, "no-parental-authority"),
    ],
)
def test_each_refusal_has_its_own_problem_type(
    reason: Refusal, status: int, problem_type: str
) -> None:
    body = g.refusal_problem(reason, "detail").body()
    assert body["status"] == status
    assert body["type"].endswith("/" + problem_type)
    assert body["reason"] == reason.value


# -- guardian tokens, re-checked at each use --------------------------------------------------


def guardian_token_claims(birth: date, relation: str = "parent", authority: bool = True) -> dict:
    return {
        "sub": "child-id",
        "person_key": "child-key",
        "act": {"sub": "guardian-id", "person_key": "guardian-key"},
        "scope": "records:read issuance:write",
        **g.guardian_claims(relation, authority, birth),  # type: ignore[arg-type]
    }


def test_a_token_minted_the_evening_before_the_birthday_stops_at_midnight_in_seoul() -> None:
    birth = date(2008, 4, 2)  # turns 19 on 2027-04-02
    claims = guardian_token_claims(birth)
    assert g.guardian_token_usable(claims, at(date(2027, 4, 1), 23, 59)) is True
    assert g.guardian_token_usable(claims, at(date(2027, 4, 2), 0, 0)) is False
    decision = g.guardian_token_decision(claims, at(date(2027, 4, 2), 0, 0))
    assert decision is not None and decision.reason is Refusal.AGE_LIMIT


def test_the_verifier_holds_a_guardian_token_to_the_rule_at_each_use() -> None:
    """The platform's verifier runs the check the composition hands it (auth never imports
    the rule): the same token is admitted the evening before and refused at midnight."""
    claims = guardian_token_claims(date(2008, 4, 2))
    principal = Principal(
        subject="child-id",
        scopes=frozenset({"records:read"}),
        person_key="child-key",
        actor="guardian-id",
        claims=claims,
    )
    jwks = JwksCache("http://127.0.0.1:9/jwks")
    verifier = TokenVerifier(jwks, issuer="i", audience="a", checks=(g.check_guardian_token,))
    assert verifier.admit(principal, at(date(2027, 4, 1), 23, 59)) is principal
    with pytest.raises(g.AgeLimitReached):
        verifier.admit(principal, at(date(2027, 4, 2), 0, 0))
    for_self = Principal(subject="p", scopes=frozenset(), person_key="k")
    assert verifier.admit(for_self, at(date(2027, 4, 2))) is for_self


def test_a_token_that_acts_for_nobody_needs_no_recheck() -> None:
    claims = {"sub": "p", "person_key": "k", "scope": "records:read"}
    assert g.guardian_token_usable(claims, at(FROM)) is True
    assert g.guardian_token_decision(claims, at(FROM)) is None


@pytest.mark.parametrize(
    "broken",
    [
        {g.CLAIM_SUBJECT_BIRTH_DATE: None},
        {g.CLAIM_SUBJECT_BIRTH_DATE: "not a date"},
        {g.CLAIM_SUBJECT_BIRTH_DATE: "2030-01-01"},  # born after the day of use
        {g.CLAIM_RELATION: "uncle"},
        {g.CLAIM_PARENTAL_AUTHORITY: "yes"},
        {"act": {"person_key": "guardian-key"}},
        {"act": "guardian-id"},
    ],
)
def test_a_guardian_token_with_broken_claims_is_refused(broken: dict) -> None:
    claims = guardian_token_claims(CHILD) | broken
    assert g.guardian_token_usable(claims, at(FROM)) is False


def test_a_guardian_token_without_recheck_claims_is_refused() -> None:
    claims = guardian_token_claims(CHILD)
    del claims[g.CLAIM_SUBJECT_BIRTH_DATE]
    assert g.guardian_token_usable(claims, at(FROM)) is False


def test_the_token_recheck_follows_relation_and_authority() -> None:
    assert g.guardian_token_usable(guardian_token_claims(CHILD, "parent", False), at(FROM)) is False
    assert g.guardian_token_usable(guardian_token_claims(CHILD, "guardian", False), at(FROM))


def test_next_midnight_is_in_seoul() -> None:
    now = datetime(2026, 2, 28, 14, 59, tzinfo=UTC)  # 23:59 in Seoul
    assert g.next_midnight(now) == datetime(2026, 3, 1, 0, 0, tzinfo=SEOUL)
    assert g.next_midnight(now) - now == timedelta(minutes=1)
