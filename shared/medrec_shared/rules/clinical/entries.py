"""The entries of a structured record, shared by every schema version: visits, diagnoses (KCD),
prescriptions, tests, procedures, the dental tooth chart (FDI) and the 한방 entries.

Unknown fields are refused everywhere (``extra="forbid"``), so a typo is an error, not silently
lost data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class StrictModel(BaseModel):
    """Unknown fields refused, text stripped, values frozen."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Encounter(StrictModel):
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


class Diagnosis(StrictModel):
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


class Prescription(StrictModel):
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


class TestResult(StrictModel):
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


class Procedure(StrictModel):
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


class ToothEntry(StrictModel):
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


class AcupuncturePoint(StrictModel):
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


class HerbDose(StrictModel):
    """One herb of a formula with its dose in grams (약재, 용량)."""

    name: Name = Field(description="Herb (약재명)")
    grams: Decimal = Field(
        gt=0, max_digits=10, decimal_places=3, description="Dose per pack in grams (1첩 용량, g)"
    )


class HerbalFormula(StrictModel):
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
