"""The bodies of the deposit endpoints: a record (inline or declared content), a batch line and
its answer. Single fields are checked in fields.py, checks across fields in validation.py."""

import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from medrec_ingest.fields import (
    MAX_CONTENT_BYTES,
    BirthDate,
    ContentType,
    ExternalId,
    PersonName,
    ServiceDate,
    Strict,
    Text100,
    Text300,
    lower,
    today_of,
)
from medrec_ingest.models import RecordStatus
from medrec_shared.rules.records import RecordKind, Specialty
from medrec_shared.rules.rrn import valid_rrn


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
    def _valid_rrn(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return valid_rrn(value, today=today_of(info))


class InlineContent(Strict):
    content_type: ContentType
    data_base64: str = Field(description="The content, base64 encoded (inline size limit applies)")


class DeclaredContent(Strict):
    content_type: ContentType
    size: int = Field(ge=0, le=MAX_CONTENT_BYTES, description="Size in bytes")
    sha256: Annotated[
        str,
        Field(pattern=r"^[0-9a-fA-F]{64}$", description="Hex SHA-256 of the content"),
        AfterValidator(lower),
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
    status: RecordStatus
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
