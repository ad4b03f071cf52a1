"""Resident registration numbers (주민등록번호): validated by date and century/sex digit, never by
the old check digit (invalid for numbers issued since October 2020)."""

import re
from datetime import date

_RRN = re.compile(r"^(\d{2})(\d{2})(\d{2})-?([0-9])(\d{6})$")
_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900,
            "3": 2000, "4": 2000, "7": 2000, "8": 2000}  # fmt: skip
_SEX = {"1": "male", "3": "male", "5": "male", "7": "male", "9": "male",
        "2": "female", "4": "female", "6": "female", "8": "female", "0": "female"}  # fmt: skip


class InvalidRRN(ValueError):
    """Raised without the number in its message: the value is personal data."""


def parse_rrn(value: str) -> tuple[str, date, str]:
    """Returns (normalised `YYMMDD-GNNNNNN`, birth date, sex) or raises InvalidRRN."""
    match = _RRN.match(value.strip())
    if match is None:
        raise InvalidRRN("must be YYMMDD-GNNNNNN")
    yy, mm, dd, g, rest = match.groups()
    try:
        born = date(_CENTURY[g] + int(yy), int(mm), int(dd))
    except ValueError as exc:
        raise InvalidRRN("the date part is not a real date") from exc
    if born > date.today():
        raise InvalidRRN("the date part is in the future")
    return f"{yy}{mm}{dd}-{g}{rest}", born, _SEX[g]


def normalise_rrn(value: str) -> str:
    return parse_rrn(value)[0]
