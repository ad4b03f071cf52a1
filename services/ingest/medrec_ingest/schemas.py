"""The transfer API's request and response bodies (API.md, "ingest"), validated per DOMAIN.md."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medrec_shared.rrn import InvalidRRN, parse_rrn

INSTITUTION_CODE = Annotated[str, Field(pattern=r"^\d{8}$", description="요양기관기호, 8 digits")]


class RecordKind(StrEnum):
    patient_register = "patient_register"
    medical_record = "medical_record"
    prescription = "prescription"
    surgery_record = "surgery_record"
    test_record = "test_record"
    radiology = "radiology"
    nursing_record = "nursing_record"
    midwifery_record = "midwifery_record"
    certificate_copy = "certificate_copy"


class Specialty(StrEnum):
    medical = "medical"
    dental = "dental"
    korean_medicine = "korean_medicine"


ALLOWED_CONTENT_TYPES = frozenset({
    "application/vnd.medrec.record+json", "application/fhir+json", "application/pdf",
    "image/jpeg", "image/png", "image/tiff", "application/dicom", "text/plain",
})  # fmt: skip


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InstitutionIn(Strict):
    code: INSTITUTION_CODE
    name: str = Field(min_length=1, max_length=200, description="Korean name, e.g. 행복소아과의원")
    type: str = Field(min_length=1, max_length=50, description="의원, 병원, 치과의원, 한의원 …")
    address: str = Field(min_length=1, max_length=300)
    region: str = Field(min_length=1, max_length=50)


class TransferIn(Strict):
    institution: InstitutionIn
    reason: Literal["closure", "suspension"]
    effective_date: date
    expected_records: int | None = Field(default=None, ge=0)


class TransferCounts(BaseModel):
    received: int
    stored: int
    failed: int
    expired_on_arrival: int
    bytes: int


class TransferOut(BaseModel):
    transfer_id: uuid.UUID
    status: Literal["open", "completed", "released"]
    institution: InstitutionIn
    reason: str
    effective_date: date
    expected_records: int | None
    counts: TransferCounts
    created_at: datetime
    completed_at: datetime | None


class PatientIn(Strict):
    rrn: str | None = Field(default=None, description="YYMMDD-GNNNNNN; absent on old paper records")
    name: str = Field(min_length=1, max_length=100)
    birth_date: date
    sex: Literal["male", "female", "unknown"]

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_rrn(value)[0]
        except InvalidRRN as exc:
            raise ValueError(f"not a valid resident registration number: {exc}") from None

    @model_validator(mode="after")
    def _rrn_matches_birth_date(self) -> Self:
        if self.rrn is not None and parse_rrn(self.rrn)[1] != self.birth_date:
            raise ValueError("birth_date does not match the resident registration number")
        return self


class InlineContent(Strict):
    content_type: str
    data_base64: str = Field(description="the content, base64 encoded")


class DeclaredContent(Strict):
    content_type: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex digest of the content")


class RecordIn(Strict):
    patient: PatientIn
    kind: RecordKind
    specialty: Specialty
    title: str = Field(min_length=1, max_length=300)
    service_start: date
    service_end: date
    department: str | None = Field(default=None, max_length=100)
    content: InlineContent | DeclaredContent

    @field_validator("content")
    @classmethod
    def _allowed_type(
        cls, content: InlineContent | DeclaredContent
    ) -> InlineContent | DeclaredContent:
        base = content.content_type.split(";")[0].strip().lower()
        if base not in ALLOWED_CONTENT_TYPES:
            raise ValueError(
                f"content_type must be one of: {', '.join(sorted(ALLOWED_CONTENT_TYPES))}"
            )
        return content

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.service_end < self.service_start:
            raise ValueError("service_end is before service_start")
        if self.service_end > date.today():
            raise ValueError("service dates may not be in the future")
        if self.patient.birth_date > self.service_start:
            raise ValueError("the patient's birth_date is after service_start")
        return self


class RecordOut(BaseModel):
    record_id: uuid.UUID
    external_id: str
    transfer_id: uuid.UUID
    status: str
    kind: RecordKind
    specialty: Specialty
    content_type: str
    size: int
    sha256: str
