"""The rules of staff accounts: what an account may be, what a password must be, when a code
counts, when a session ends and when wrong codes lock an account."""

from datetime import UTC, datetime, timedelta

import pytest

from medrec_identity.staff.rules import (
    AccountRefused,
    Lockout,
    SessionTimes,
    account_shape,
    check_login,
    password_problem,
    totp_step_usable,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("organisation", "roles", "region", "expected"),
    [
        ("khis", ["platform"], None, ("khis", ("platform",), None)),
        (
            "khis",
            ["reviewer", "auditor", "reviewer"],
            None,
            ("khis", ("auditor", "reviewer"), None),
        ),
        ("hc:11", ["health_centre"], None, ("hc:11", ("health_centre",), "11")),
        ("hc:26", ["health_centre"], "26", ("hc:26", ("health_centre",), "26")),
        (
            "khis",
            ["health_centre", "platform"],
            "11",
            ("khis", ("health_centre", "platform"), "11"),
        ),
    ],
)
def test_an_account_may_be(
    organisation: str, roles: list[str], region: str | None, expected: tuple[object, ...]
) -> None:
    shape = account_shape(organisation, roles, region)
    assert (shape.organisation, shape.roles, shape.region) == expected


@pytest.mark.parametrize(
    ("organisation", "roles", "region", "field"),
    [
        ("khis", [], None, "roles"),
        ("khis", ["admin"], None, "roles"),
        ("khis", ["health_centre"], None, "region"),
        ("khis", ["reviewer"], "11", "region"),
        ("hc:11", ["reviewer"], None, "roles"),
        ("hc:11", ["health_centre", "platform"], None, "roles"),
        ("hc:11", ["health_centre"], "26", "region"),
        ("hc:seoul", ["health_centre"], None, "organisation"),
        ("other", ["platform"], None, "organisation"),
        ("khis", ["health_centre"], "1", "region"),
    ],
)
def test_an_account_may_not_be(
    organisation: str, roles: list[str], region: str | None, field: str
) -> None:
    with pytest.raises(AccountRefused) as refused:
        account_shape(organisation, roles, region)
    assert refused.value.field == field


@pytest.mark.parametrize("login", ["kim.platform", "lee_hc-11", "abc"])
def test_a_login(login: str) -> None:
    assert check_login(login) == login


@pytest.mark.parametrize("login", ["ab", "Kim", "1kim", "kim platform", "kim@khis", "k" * 65])
def test_not_a_login(login: str) -> None:
    with pytest.raises(AccountRefused):
        check_login(login)


def test_a_password_is_long_and_not_the_login() -> None:
    assert password_problem("kim.platform", "short") is not None
    assert password_problem("kim.platform.x", "kim.platform.x") is not None
    assert password_problem("kim.platform.x", " KIM.PLATFORM.X ") is not None
    assert password_problem("kim.platform", "x" * 257) is not None
    assert password_problem("kim.platform", "correct horse battery") is None


def test_a_code_step_counts_once() -> None:
    assert totp_step_usable(100, None)
    assert totp_step_usable(101, 100)
    assert not totp_step_usable(100, 100)
    assert not totp_step_usable(99, 100)  # an older code, even within the drift


def test_a_session_ends_idle_or_at_its_absolute_end() -> None:
    times = SessionTimes(absolute=timedelta(hours=8), idle=timedelta(minutes=30))
    ends = times.ends_at(NOW)
    assert ends == NOW + timedelta(hours=8)
    assert times.alive(expires_at=ends, last_used_at=NOW, now=NOW + timedelta(minutes=29))
    assert not times.alive(expires_at=ends, last_used_at=NOW, now=NOW + timedelta(minutes=30))
    late = NOW + timedelta(hours=8)
    assert not times.alive(expires_at=ends, last_used_at=late - timedelta(minutes=1), now=late)


def test_wrong_codes_lock_at_the_limit_and_the_lock_ends() -> None:
    lockout = Lockout(failures=3, duration=timedelta(minutes=15))
    assert lockout.after_failure(0, NOW) == (1, None)
    assert lockout.after_failure(1, NOW) == (2, None)
    failures, until = lockout.after_failure(2, NOW)
    assert (failures, until) == (0, NOW + timedelta(minutes=15))
    assert lockout.locked(until, NOW + timedelta(minutes=14))
    assert not lockout.locked(until, NOW + timedelta(minutes=15))
    assert not lockout.locked(None, NOW)
