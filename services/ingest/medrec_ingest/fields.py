"""The fields of the transfer API's bodies (API.md, "ingest"), each checked per DOMAIN.md; the
bodies themselves are in transfers/schemas.py and deposit/schemas.py.

Each field is checked here; checks across fields (dates in order, the RRN agreeing with the birth
date) are in deposit/validation.py, so that every refusal names its field. Messages never repeat
the refused value: it may be personal data.

Dates "in the future" are judged against today in Korea by the service's clock, never the wall
clock: record bodies are validated with a `today` in their validation context (`ValidationInfo`),
and a transfer's effective date is bounded by the transfers service.
"""

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from medrec_shared.rules.clinical import FHIR_CONTENT_TYPE, STRUCTURED_RECORD_CONTENT_TYPE

INSTITUTION_CODE = Annotated[str, Field(pattern=r"^\d{8}$", description="요양기관기호, 8 digits")]
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._~:@-]+$"
EARLIEST_BIRTH = date(1800, 1, 1)  # RRN century digits 9 and 0: born in the 1800s
EARLIEST_SERVICE = date(1900, 1, 1)
MAX_CONTENT_BYTES = 5 * 1024**4  # S3's largest object

FieldErrors = list[dict[str, str]]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An RRN's digits, with or without its hyphen: never taken as an id, nor echoed back.
RRN_DIGITS = r"\d{6}-?\d{7}"
RRN_IN_TEXT = re.compile(RRN_DIGITS)  # anywhere in a text (a request path)
RRN_LIKE = re.compile(rf"^{RRN_DIGITS}$")  # the whole value
_TOKEN = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}$")


ALLOWED_CONTENT_TYPES = frozenset({
    STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE, "application/pdf",
    "image/jpeg", "image/png", "image/tiff", "application/dicom", "text/plain",
})  # fmt: skip


def error(field: str, message: str) -> dict[str, str]:
    """One field error of a `ValidationFailed` problem: the field, and a message without the
    refused value."""
    return {"field": field, "message": message}


# -- single-field checks ------------------------------------------------------------------------
def _single_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _person_name(value: str) -> str:
    _single_line(value)
    if any(ch.isdigit() for ch in value):
        raise ValueError("must not contain digits")
    return value


def not_rrn(value: str) -> str:
    if RRN_LIKE.match(value):
        raise ValueError("must not be a resident registration number")
    return value


def today_of(info: ValidationInfo) -> date:
    """Today in Korea, as the service's clock has it, from the validation context."""
    context = info.context
    if not isinstance(context, dict) or not isinstance(context.get("today"), date):
        # Not a ValueError: a body validated without its clock is our error, not the client's.
        raise TypeError("dates are validated with context={'today': <date in Korea>}")
    today: date = context["today"]
    return today


def _birth_date(value: date, info: ValidationInfo) -> date:
    if value > today_of(info):
        raise ValueError("must not be in the future")
    if value < EARLIEST_BIRTH:
        raise ValueError(f"must not be before {EARLIEST_BIRTH.isoformat()}")
    return value


def _service_date(value: date, info: ValidationInfo) -> date:
    if value > today_of(info):
        raise ValueError("must not be in the future (dates are judged in Asia/Seoul)")
    if value < EARLIEST_SERVICE:
        raise ValueError(f"must not be before {EARLIEST_SERVICE.isoformat()}")
    return value


def _effective_date(value: date) -> date:
    # Its upper bound (a year ahead of today) is checked by the transfers service, by its clock.
    if value < EARLIEST_SERVICE:
        raise ValueError(f"must not be before {EARLIEST_SERVICE.isoformat()}")
    return value


def normalise_content_type(value: str) -> str:
    """``"Text/Plain; Charset=EUC-KR"`` → ``"text/plain; charset=EUC-KR"``; refuses others."""
    base, *params = value.split(";")
    base = base.strip().lower()
    if base not in ALLOWED_CONTENT_TYPES:
        raise ValueError(f"must be one of: {', '.join(sorted(ALLOWED_CONTENT_TYPES))}")
    parts = [base]
    for param in params:
        key, sep, val = param.partition("=")
        key, val = key.strip().lower(), val.strip().strip('"')
        if not sep or not _TOKEN.match(key) or not _TOKEN.match(val):
            raise ValueError("has a malformed parameter")
        parts.append(f"{key}={val}")
    return "; ".join(parts)


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def lower(value: str) -> str:
    return value.lower()


SingleLine = AfterValidator(_single_line)
Text50 = Annotated[str, Field(min_length=1, max_length=50), SingleLine]
Text100 = Annotated[str, Field(min_length=1, max_length=100), SingleLine]
Text200 = Annotated[str, Field(min_length=1, max_length=200), SingleLine]
Text300 = Annotated[str, Field(min_length=1, max_length=300), SingleLine]

EXTERNAL_ID_MAX_LENGTH = 200
ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=EXTERNAL_ID_MAX_LENGTH,
        pattern=EXTERNAL_ID_PATTERN,
        description="The institution's own id of the record (e.g. its chart number), unique per "
        "institution code: letters, digits and . _ ~ : @ -; never a resident registration number",
    ),
    AfterValidator(not_rrn),
]
PersonName = Annotated[
    str,
    Field(min_length=1, max_length=100, description="이름 (no digits or control characters)"),
    AfterValidator(_person_name),
]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
EffectiveDate = Annotated[date, AfterValidator(_effective_date)]
ServiceDate = Annotated[
    date, Field(description="YYYY-MM-DD, not in the future"), AfterValidator(_service_date)
]
ContentType = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="One of: " + ", ".join(sorted(ALLOWED_CONTENT_TYPES)) + "; parameters such "
        "as charset are kept",
    ),
    AfterValidator(normalise_content_type),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
