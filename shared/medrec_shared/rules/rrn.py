"""Resident registration numbers (주민등록번호): validated by date and century/sex digit, never by
the old check digit (invalid for numbers issued since October 2020).

"Today" (a number born after it is refused) comes from the clock port: the caller's
``today=korean_date(clock.now())``, or, for a pydantic validator that cannot be handed a clock,
the process's clock (:func:`medrec_shared.platform.clock.korean_today`)."""

import re
from datetime import date

from medrec_shared.platform.clock import korean_today

_RRN = re.compile(r"^(\d{2})(\d{2})(\d{2})-?([0-9])(\d{6})$")
# The digit after the hyphen gives century and sex; 5-8 are foreign residents.
_CENTURY = dict.fromkeys("90", 1800) | dict.fromkeys("1256", 1900) | dict.fromkeys("3478", 2000)
_SEX = dict.fromkeys("13579", "male") | dict.fromkeys("24680", "female")


class InvalidRRN(ValueError):
    """Raised without the number in its message: the value is personal data."""


def parse_rrn(value: str, *, today: date | None = None) -> tuple[str, date, str]:
    """Returns (normalised `YYMMDD-GNNNNNN`, birth date, sex) or raises InvalidRRN; a birth date
    after `today` (the caller's day in Korea) is refused."""
    match = _RRN.match(value.strip())
    if match is None:
        raise InvalidRRN("must be YYMMDD-GNNNNNN")
    yy, mm, dd, g, rest = match.groups()
    try:
        born = date(_CENTURY[g] + int(yy), int(mm), int(dd))
    except ValueError as exc:
        raise InvalidRRN("the date part is not a real date") from exc
    if born > (today if today is not None else korean_today()):
        raise InvalidRRN("the date part is in the future")
    return f"{yy}{mm}{dd}-{g}{rest}", born, _SEX[g]


def normalise_rrn(value: str, *, today: date | None = None) -> str:
    return parse_rrn(value, today=today)[0]


def valid_rrn(value: str, *, today: date | None = None) -> str:
    """For pydantic validators: the normalised number, or a ValueError naming the rule broken
    (never the number itself)."""
    try:
        return normalise_rrn(value, today=today)
    except InvalidRRN as exc:
        raise ValueError(f"not a valid resident registration number: {exc}") from None
