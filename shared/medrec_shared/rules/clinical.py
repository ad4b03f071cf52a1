"""Structured clinical content of a record: a documented, versioned JSON schema.

Content type ``application/vnd.medrec.record+json``. A document is one JSON object with
``schema_version: "1"`` and a ``specialty`` discriminator:

- ``medical`` (의과): encounters, diagnoses (KCD), prescriptions, tests, procedures;
- ``dental`` (치과): the same plus a tooth chart in FDI two-digit notation;
- ``korean_medicine`` (한방): encounters, diagnoses, pattern identification (변증), acupuncture
  points (침), moxibustion/cupping (뜸/부항) and herbal formulas (한약 처방).

Unknown fields are refused everywhere (``extra="forbid"``), so a typo is an error, not silently
lost data. ``structured_record_json_schema()`` gives the JSON Schema for publication.

Also here: ``check_fhir_bundle``, a structural check of a FHIR R4 Bundle
(``application/fhir+json``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

__all__ = [
    "FHIR_BUNDLE_TYPES",
    "FHIR_CONTENT_TYPE",
    "STRUCTURED_RECORD_CONTENT_TYPE",
    "AcupuncturePoint",
    "DentalRecord",
    "Diagnosis",
    "Encounter",
    "HerbDose",
    "HerbalFormula",
    "KoreanMedicineRecord",
    "MedicalRecord",
    "Prescription",
    "Procedure",
    "StructuredRecord",
    "StructuredRecordModel",
    "TestResult",
    "ToothEntry",
    "check_fhir_bundle",
    "is_valid_fdi_tooth",
    "parse_structured_record",
    "structured_record_json_schema",
]

STRUCTURED_RECORD_CONTENT_TYPE: Final = "application/vnd.medrec.record+json"
FHIR_CONTENT_TYPE: Final = "application/fhir+json"

#: KCD (한국표준질병·사인분류) code: letter, two digits, optional dot and one or two digits.
#: Examples: ``J06.9``, ``K02.1``, ``U23.0``, ``E11.78``, ``I10``.
KCD_CODE_PATTERN: Final = r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$"

_PERMANENT_TEETH: Final = frozenset(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
_PRIMARY_TEETH: Final = frozenset(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))

Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(max_length=20_000)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


def is_valid_fdi_tooth(tooth: int) -> bool:
    """True for an FDI two-digit tooth number: permanent 11–48, primary 51–85."""
    return tooth in _PERMANENT_TEETH or tooth in _PRIMARY_TEETH


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Encounter(_Model):
    """One visit (내원)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": "2024-03-02",
                    "department": "소아청소년과",
                    "chief_complaint": "발열, 기침 3일",
                    "notes": "인후 발적, 호흡음 정상",
                }
            ]
        }
    )

    date: dt.date = Field(description="Visit date (내원일)")
    department: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Department (진료과)"
    )
    chief_complaint: ShortText | None = Field(default=None, description="Chief complaint (주호소)")
    notes: LongText | None = Field(default=None, description="Progress notes (경과기록)")


class Diagnosis(_Model):
    """A diagnosis coded in KCD (상병)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"code": "J06.9", "name": "급성 상기도감염", "primary": True, "date": "2024-03-02"}
            ]
        }
    )

    code: str = Field(
        pattern=KCD_CODE_PATTERN,
        max_length=6,
        description="KCD code (상병코드), e.g. J06.9, K02.1, U23.0",
    )
    name: Name = Field(description="Diagnosis name (상병명)")
    primary: bool = Field(default=False, description="Primary diagnosis (주상병)")
    date: dt.date | None = Field(default=None, description="Diagnosis date (진단일)")


class Prescription(_Model):
    """A drug prescription (처방)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "drug_name": "아세트아미노펜 시럽",
                    "drug_code": "643301230",
                    "dose": "5",
                    "unit": "mL",
                    "frequency_per_day": 3,
                    "days": 3,
                }
            ]
        }
    )

    drug_name: Name = Field(description="Drug name (약품명)")
    drug_code: Code | None = Field(default=None, description="Drug code (약품코드)")
    dose: Decimal = Field(gt=0, max_digits=12, decimal_places=4, description="Dose (1회 투여량)")
    unit: Annotated[str, Field(min_length=1, max_length=20)] = Field(description="Unit (단위)")
    frequency_per_day: int = Field(ge=1, le=24, description="Times per day (1일 투여횟수)")
    days: int = Field(ge=1, le=366, description="Days (투약일수)")
    date: dt.date | None = Field(default=None, description="Prescription date (처방일)")


class TestResult(_Model):
    """A test and its result (검사)."""

    __test__ = False  # not a pytest test class

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "CRP",
                    "date": "2024-03-02",
                    "result": "1.2",
                    "unit": "mg/dL",
                    "reference_range": "0.0–0.5",
                    "finding": "경도 상승",
                }
            ]
        }
    )

    name: Name = Field(description="Test name (검사명)")
    date: dt.date = Field(description="Test date (검사일)")
    result: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="Result value (결과)"
    )
    unit: Annotated[str, Field(max_length=40)] | None = Field(default=None, description="단위")
    reference_range: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Reference range (참고치)"
    )
    finding: LongText | None = Field(default=None, description="Finding (검사소견)")


class Procedure(_Model):
    """A procedure or operation (처치·수술)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "치석제거", "code": "U2232", "date": "2024-05-10"}]
        }
    )

    name: Name = Field(description="Procedure name (처치명)")
    code: Code | None = Field(default=None, description="Procedure code (행위코드)")
    date: dt.date = Field(description="Procedure date (시행일)")
    notes: LongText | None = Field(default=None, description="Notes (비고)")


class ToothEntry(_Model):
    """Findings and procedures on one tooth (치아별 기록), FDI two-digit notation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"tooth": 36, "findings": ["우식(C2)"], "procedures": ["레진 충전"]}]
        }
    )

    tooth: int = Field(
        description=(
            "FDI tooth number (치아번호): permanent 11–18, 21–28, 31–38, 41–48; "
            "primary 51–55, 61–65, 71–75, 81–85"
        )
    )
    findings: list[ShortText] = Field(default_factory=list, max_length=50, description="소견")
    procedures: list[ShortText] = Field(default_factory=list, max_length=50, description="처치")

    @field_validator("tooth")
    @classmethod
    def _fdi(cls, value: int) -> int:
        if not is_valid_fdi_tooth(value):
            raise ValueError(f"{value} is not an FDI tooth number (11–48 permanent, 51–85 primary)")
        return value


class AcupuncturePoint(_Model):
    """An acupuncture point (경혈) needled."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"point": "ST36", "method": "자침 15분 유침"}]}
    )

    point: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="Point (경혈): WHO code like ST36, LI4, or the Korean name like 족삼리"
    )
    method: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="Method (시술방법)"
    )


class HerbDose(_Model):
    """One herb of a formula with its dose in grams (약재, 용량)."""

    name: Name = Field(description="Herb (약재명)")
    grams: Decimal = Field(
        gt=0, max_digits=10, decimal_places=3, description="Dose per pack in grams (1첩 용량, g)"
    )


class HerbalFormula(_Model):
    """A herbal formula (한약 처방)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "보중익기탕",
                    "herbs": [
                        {"name": "황기", "grams": "6"},
                        {"name": "인삼", "grams": "4"},
                        {"name": "백출", "grams": "4"},
                    ],
                    "packs": 20,
                    "days": 10,
                }
            ]
        }
    )

    name: Name = Field(description="Formula name (처방명)")
    herbs: list[HerbDose] = Field(min_length=1, max_length=100, description="Herbs (구성 약재)")
    packs: int = Field(gt=0, le=1000, description="Number of packs (첩수)")
    days: int | None = Field(default=None, gt=0, le=366, description="Days (복용일수)")
    date: dt.date | None = Field(default=None, description="Prescription date (처방일)")


class _RecordBase(_Model):
    schema_version: Literal["1"] = Field(description="Schema version (스키마 버전)")
    encounters: list[Encounter] = Field(
        default_factory=list, max_length=2000, description="Visits (내원 기록)"
    )
    diagnoses: list[Diagnosis] = Field(
        default_factory=list, max_length=1000, description="Diagnoses (상병)"
    )


class MedicalRecord(_RecordBase):
    """의과 진료기록."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schema_version": "1",
                    "specialty": "medical",
                    "encounters": [{"date": "2024-03-02", "chief_complaint": "발열"}],
                    "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
                    "prescriptions": [
                        {
                            "drug_name": "아세트아미노펜 시럽",
                            "dose": "5",
                            "unit": "mL",
                            "frequency_per_day": 3,
                            "days": 3,
                        }
                    ],
                }
            ]
        }
    )

    specialty: Literal["medical"] = Field(description="Specialty (진료 분야): 의과")
    prescriptions: list[Prescription] = Field(
        default_factory=list, max_length=5000, description="Prescriptions (처방)"
    )
    tests: list[TestResult] = Field(default_factory=list, max_length=5000, description="검사")
    procedures: list[Procedure] = Field(
        default_factory=list, max_length=2000, description="Procedures (처치·수술)"
    )


class DentalRecord(_RecordBase):
    """치과 진료기록."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schema_version": "1",
                    "specialty": "dental",
                    "diagnoses": [{"code": "K02.1", "name": "상아질의 우식"}],
                    "tooth_chart": [
                        {"tooth": 36, "findings": ["우식(C2)"], "procedures": ["레진 충전"]}
                    ],
                }
            ]
        }
    )

    specialty: Literal["dental"] = Field(description="Specialty (진료 분야): 치과")
    prescriptions: list[Prescription] = Field(
        default_factory=list, max_length=5000, description="Prescriptions (처방)"
    )
    tests: list[TestResult] = Field(default_factory=list, max_length=5000, description="검사")
    procedures: list[Procedure] = Field(
        default_factory=list, max_length=2000, description="Procedures (처치·수술)"
    )
    tooth_chart: list[ToothEntry] = Field(
        default_factory=list, max_length=52, description="Tooth chart (치아 기록), one per tooth"
    )

    @field_validator("tooth_chart")
    @classmethod
    def _one_entry_per_tooth(cls, value: list[ToothEntry]) -> list[ToothEntry]:
        seen: set[int] = set()
        for entry in value:
            if entry.tooth in seen:
                raise ValueError(f"tooth {entry.tooth} appears more than once")
            seen.add(entry.tooth)
        return value


class KoreanMedicineRecord(_RecordBase):
    """한방 진료기록."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schema_version": "1",
                    "specialty": "korean_medicine",
                    "diagnoses": [{"code": "U23.0", "name": "기허증"}],
                    "pattern_identification": ["비기허증"],
                    "acupuncture": [{"point": "ST36"}, {"point": "합곡"}],
                    "moxibustion_cupping": ["관원 간접구"],
                    "herbal_formulas": [
                        {
                            "name": "보중익기탕",
                            "herbs": [{"name": "황기", "grams": "6"}],
                            "packs": 20,
                        }
                    ],
                }
            ]
        }
    )

    specialty: Literal["korean_medicine"] = Field(description="Specialty (진료 분야): 한방")
    pattern_identification: list[ShortText] = Field(
        default_factory=list, max_length=100, description="Pattern identification (변증)"
    )
    acupuncture: list[AcupuncturePoint] = Field(
        default_factory=list, max_length=2000, description="Acupuncture points (침)"
    )
    moxibustion_cupping: list[ShortText] = Field(
        default_factory=list, max_length=1000, description="Moxibustion and cupping (뜸·부항)"
    )
    herbal_formulas: list[HerbalFormula] = Field(
        default_factory=list, max_length=500, description="Herbal formulas (한약 처방)"
    )


StructuredRecordModel = MedicalRecord | DentalRecord | KoreanMedicineRecord
StructuredRecord = Annotated[StructuredRecordModel, Field(discriminator="specialty")]

_ADAPTER: Final[TypeAdapter[StructuredRecordModel]] = TypeAdapter(StructuredRecord)


def parse_structured_record(data: bytes) -> StructuredRecordModel:
    """Parse and validate a structured record; raises ``pydantic.ValidationError``."""
    return _ADAPTER.validate_json(data)


def structured_record_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``application/vnd.medrec.record+json`` (version 1)."""
    return _ADAPTER.json_schema()


#: The R4 ``Bundle.type`` value set.
FHIR_BUNDLE_TYPES: Final = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)


def check_fhir_bundle(data: bytes) -> dict[str, Any]:
    """Check that ``data`` is structurally a FHIR R4 Bundle and return it parsed.

    Raises ``ValueError`` with a message naming the first problem found.
    """
    try:
        bundle = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"FHIR bundle is not valid JSON: {exc}") from None
    if not isinstance(bundle, dict):
        raise ValueError("FHIR bundle must be a JSON object")
    resource_type = bundle.get("resourceType")
    if resource_type != "Bundle":
        raise ValueError(f"resourceType must be 'Bundle', got {resource_type!r}")
    bundle_type = bundle.get("type")
    if bundle_type not in FHIR_BUNDLE_TYPES:
        allowed = ", ".join(sorted(FHIR_BUNDLE_TYPES))
        raise ValueError(f"Bundle.type must be one of {allowed}; got {bundle_type!r}")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ValueError("Bundle.entry must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"Bundle.entry[{index}] must be an object")
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            raise ValueError(f"Bundle.entry[{index}].resource must be an object")
        inner_type = resource.get("resourceType")
        if not isinstance(inner_type, str) or not inner_type:
            raise ValueError(f"Bundle.entry[{index}].resource.resourceType is missing")
    return bundle
