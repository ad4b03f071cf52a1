from datetime import date
from pathlib import Path

import pytest

from medrec_shared.platform.clock import build_clock
from medrec_shared.rules.rrn import InvalidRRN, parse_rrn


@pytest.mark.parametrize(
    ("rrn", "born", "sex"),
    [
        ("900101-1234567", date(1990, 1, 1), "male"),
        ("900101-2234567", date(1990, 1, 1), "female"),
        ("050229-9999999", None, None),  # 1805 is not a leap year: refused below
        ("040229-3000000", date(2004, 2, 29), "male"),
        ("101231-4000000", date(2010, 12, 31), "female"),
        ("800515-5000000", date(1980, 5, 15), "male"),  # foreign resident, 1900s
        ("150101-8000000", date(2015, 1, 1), "female"),  # foreign resident, 2000s
        ("991231-9000000", date(1899, 12, 31), "male"),
        ("991231-0000000", date(1899, 12, 31), "female"),
        ("9001011234567", date(1990, 1, 1), "male"),  # without the hyphen
    ],
)
def test_valid_numbers_give_birth_date_and_sex(
    rrn: str, born: date | None, sex: str | None
) -> None:
    if born is None:
        with pytest.raises(InvalidRRN):
            parse_rrn(rrn)
        return
    normalised, birth, parsed_sex = parse_rrn(rrn)
    assert (birth, parsed_sex) == (born, sex)
    assert normalised == rrn if "-" in rrn else normalised == f"{rrn[:6]}-{rrn[6:]}"


def test_the_old_check_digit_is_not_validated() -> None:
    # Numbers issued since October 2020 carry no valid check digit: every last digit is accepted.
    for last in range(10):
        parse_rrn(f"201105-412345{last}")


@pytest.mark.parametrize(
    "rrn",
    [
        "900132-1234567",
        "901301-1234567",
        "900101-12345",
        "abcdef-1234567",
        "",
        "900101_1234567",
        "300101-3234567",
    ],  # 2030: in the future
)
def test_invalid_numbers_are_refused_without_echoing_them(rrn: str) -> None:
    with pytest.raises(InvalidRRN) as refused:
        parse_rrn(rrn)
    if rrn:
        assert rrn not in str(refused.value)


def test_the_future_begins_after_the_callers_today() -> None:
    day = date(2026, 3, 1)
    assert parse_rrn("260301-3000000", today=day)[1] == day
    with pytest.raises(InvalidRRN):
        parse_rrn("260302-3000000", today=day)
    assert parse_rrn("300101-3234567", today=date(2031, 1, 1))[1] == date(2030, 1, 1)


def test_without_a_given_today_the_process_clock_decides(tmp_path: Path) -> None:
    """A validator that cannot be handed a clock reads the service's: a moved clock moves it."""
    clock_file = tmp_path / "clock"
    clock_file.write_text("2026-03-01T15:30:00+00:00")  # 2 March in Seoul already
    try:
        build_clock(clock_file)
        assert parse_rrn("260302-3000000")[1] == date(2026, 3, 2)
        with pytest.raises(InvalidRRN):
            parse_rrn("260303-3000000")
    finally:
        build_clock(None)
