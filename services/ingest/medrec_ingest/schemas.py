"""The transfer API's request and response bodies (API.md, "ingest"), validated per DOMAIN.md.

Each field is checked here; checks across fields (dates in order, the RRN agreeing with the birth
date) are in validation.py, so that every refusal names its field. Messages never repeat
the refused value: it may be personal data.
"""

import re
import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from medrec_ingest.clock import today
from medrec_shared.clinical import FHIR_CONTENT_TYPE, STRUCTURED_RECORD_CONTENT_TYPE
from medrec_shared.records import RecordKind, Specialty
from medrec_shared.rrn import valid_rrn

INSTITUTION_CODE = Annotated[str, Field(pattern=r"^\d{8}$", description="요양기관기호, 8 digits")]
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._~:@-]+$"
EARLIEST_BIRTH = date(1800, 1, 1)  # RRN century digits 9 and 0: born in the 1800s
EARLIEST_SERVICE = date(1900, 1, 1)
MAX_CONTENT_BYTES = 5 * 1024**4  # S3's largest object

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_RRN_LIKE = re.compile(r"^\d{6}-?\d{7}$")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$&^_.+-]{1,64}$")


ALLOWED_CONTENT_TYPES = frozenset({
    STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE, "application/pdf",
    "image/jpeg", "image/png", "image/tiff", "application/dicom", "text/plain",
})  # fmt: skip


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
    if _RRN_LIKE.match(value):
        raise ValueError("must not be a resident registration number")
    return value


def _birth_date(value: date) -> date:
    if value > today():
        raise ValueError("must not be in the future")
    if value < EARLIEST_BIRTH:
        raise ValueError(f"must not be before {EARLIEST_BIRTH.isoformat()}")
    return value


def _service_date(value: date) -> date:
    if value > today():
        raise ValueError("must not be in the future (dates are judged in Asia/Seoul)")
    if value < EARLIEST_SERVICE:
        raise ValueError(f"must not be before {EARLIEST_SERVICE.isoformat()}")
    return value


def _effective_date(value: date) -> date:
    if value < EARLIEST_SERVICE:
        raise ValueError(f"must not be before {EARLIEST_SERVICE.isoformat()}")
    if value > today() + timedelta(days=366):
        raise ValueError("must not be more than a year ahead")
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


def _lower(value: str) -> str:
    return value.lower()


SingleLine = AfterValidator(_single_line)
Text50 = Annotated[str, Field(min_length=1, max_length=50), SingleLine]
Text100 = Annotated[str, Field(min_length=1, max_length=100), SingleLine]
Text200 = Annotated[str, Field(min_length=1, max_length=200), SingleLine]
Text300 = Annotated[str, Field(min_length=1, max_length=300), SingleLine]

ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
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


# -- transfers ----------------------------------------------------------------------------------
class InstitutionIn(Strict):
    code: INSTITUTION_CODE
    name: Text200 = Field(description="Korean name, e.g. 행복소아과의원")
    type: Text50 = Field(description="의원, 병원, 치과의원, 한의원 …")
    address: Text300
    region: Text50


class TransferIn(Strict):
    institution: InstitutionIn
    reason: Literal["closure", "suspension"]
    effective_date: Annotated[date, AfterValidator(_effective_date)]
    expected_records: int | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        description="An estimate, for following progress; the count that binds is the one "
        "confirmed at completion (`record_count`), checked against what was received",
    )


class TransferCounts(BaseModel):
    received: int = Field(description="Records accepted in this transfer (content in or awaited)")
    stored: int = Field(description="Records whose content is in, verified and encrypted")
    failed: int = Field(
        description="Deposits refused: invalid or conflicting records (single or batch lines) "
        "and content uploads that did not match their declaration; each refusal counts once"
    )
    expired_on_arrival: int = Field(
        description="Stored records already past their retention period on arrival; they are "
        "accepted and destroyed by the next retention sweep"
    )
    bytes: int = Field(description="Content bytes stored (plaintext)")


class TransferOut(BaseModel):
    transfer_id: uuid.UUID
    status: Literal["open", "completed", "released"]
    institution: InstitutionIn
    reason: str
    effective_date: date
    expected_records: int | None
    record_count: int | None = Field(description="The count confirmed at completion")
    counts: TransferCounts
    created_at: datetime
    completed_at: datetime | None
    released_at: datetime | None = Field(
        default=None, description="When an operator released it to its reopened institution"
    )
    grace_until: datetime | None = Field(
        default=None, description="Its client may export the records until then; then destroyed"
    )


class CompleteIn(Strict):
    record_count: int = Field(ge=0, le=100_000_000, description="Records the transfer holds")
    external_ids: list[ExternalId] | None = Field(
        default=None,
        max_length=100_000,
        description="Optional: every external_id of the transfer, so that any missing ones can "
        "be named",
    )


# -- records ------------------------------------------------------------------------------------
class PatientIn(Strict):
    rrn: str | None = Field(
        default=None,
        max_length=20,
        description="YYMMDD-GNNNNNN; absent on old paper records. Checked by date and century/sex "
        "digit, never by the old check digit",
    )
    name: PersonName
    birth_date: BirthDate
    sex: Literal["male", "female", "unknown"]

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return valid_rrn(value)


class InlineContent(Strict):
    content_type: ContentType
    data_base64: str = Field(description="The content, base64 encoded (inline size limit applies)")


class DeclaredContent(Strict):
    content_type: ContentType
    size: int = Field(ge=0, le=MAX_CONTENT_BYTES, description="Size in bytes")
    sha256: Annotated[
        str,
        Field(pattern=r"^[0-9a-fA-F]{64}$", description="Hex SHA-256 of the content"),
        AfterValidator(_lower),
    ]


def _content_form(value: Any) -> str | None:
    if isinstance(value, dict):
        return "inline" if "data_base64" in value else "declared"
    if isinstance(value, InlineContent | DeclaredContent):
        return "inline" if isinstance(value, InlineContent) else "declared"
    return None


Content = Annotated[
    Annotated[InlineContent, Tag("inline")] | Annotated[DeclaredContent, Tag("declared")],
    Discriminator(
        _content_form,
        custom_error_type="content_form",
        custom_error_message="must be {content_type, data_base64} or {content_type, size, sha256}",
    ),
]


class RecordIn(Strict):
    """One record: its metadata and either its content inline, or a declaration of the content
    to be streamed to `PUT …/records/{external_id}/content`."""

    patient: PatientIn
    kind: RecordKind
    specialty: Specialty
    title: Text300
    service_start: ServiceDate
    service_end: ServiceDate
    department: Text100 | None = None
    content: Content


class BatchLine(RecordIn):
    """One line of `POST …/records:batch`: a record with its external_id and inline content."""

    external_id: ExternalId


class RecordOut(BaseModel):
    record_id: uuid.UUID
    external_id: str
    transfer_id: uuid.UUID
    status: Literal["awaiting_content", "stored", "destroyed", "withdrawn"]
    kind: RecordKind
    specialty: Specialty
    content_type: str
    size: int
    sha256: str


class BatchStatus(StrEnum):
    created = "created"
    unchanged = "unchanged"
    conflict = "conflict"
    invalid = "invalid"
    failed = "failed"  # not stored for a reason on our side (storage unavailable): send it again


class BatchResult(BaseModel):
    """One answer line of `POST …/records:batch`, in the order of the input lines."""

    line: int = Field(description="The input line's number, from 1")
    external_id: str | None = Field(description="null when the line had no usable external_id")
    status: BatchStatus
    record_id: uuid.UUID | None = Field(default=None, description="created and unchanged only")
    problem: dict[str, Any] | None = Field(
        default=None, description="RFC 9457 problem for conflict, invalid and failed"
    )
