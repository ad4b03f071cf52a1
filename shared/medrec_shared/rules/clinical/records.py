"""The structured record (``application/vnd.medrec.record+json``): one JSON object with a
``schema_version`` and a ``specialty`` discriminator.

- version ``"1"``: visits and diagnoses, and by specialty prescriptions, tests, procedures, a
  tooth chart (치과) or the 한방 entries;
- version ``"2"`` adds ``admissions`` and ``bills`` (``clinical.bills``) to every specialty.
  A version 1 document carrying them is refused: they are version 2's, and a version 1 document
  reads as it always did.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator

from medrec_shared.rules.clinical.bills import Admission, Bill
from medrec_shared.rules.clinical.entries import (
    AcupuncturePoint,
    Diagnosis,
    Encounter,
    HerbalFormula,
    Prescription,
    Procedure,
    ShortText,
    StrictModel,
    TestResult,
    ToothEntry,
)

SchemaVersion = Literal["1", "2"]
SCHEMA_VERSIONS: Final = ("1", "2")


class _RecordBase(StrictModel):
    schema_version: SchemaVersion = Field(description="Schema version (스키마 버전): 1 or 2")
    encounters: list[Encounter] = Field(
        default_factory=list, max_length=2000, description="Visits (내원 기록)"
    )
    diagnoses: list[Diagnosis] = Field(
        default_factory=list, max_length=1000, description="Diagnoses (상병)"
    )
    admissions: list[Admission] = Field(
        default_factory=list, max_length=1000, description="Stays in hospital (입원), version 2"
    )
    bills: list[Bill] = Field(
        default_factory=list,
        max_length=2000,
        description="Bills (진료비 계산서·영수증) as the clinic issued them, version 2",
    )

    @field_validator("admissions", "bills")
    @classmethod
    def _version_2(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        if info.data.get("schema_version", "2") != "2":
            raise ValueError("needs schema_version 2")
        return value

    @field_validator("bills")
    @classmethod
    def _numbers_unique(cls, value: list[Bill]) -> list[Bill]:
        # A payment is told by its bill's number (납입확인서), so two bills cannot share one.
        if len({bill.number for bill in value}) != len(value):
            raise ValueError("name a bill number more than once")
        return value


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
                },
                {
                    "schema_version": "2",
                    "specialty": "medical",
                    "encounters": [{"date": "2024-06-10", "department": "정형외과"}],
                    "diagnoses": [{"code": "S82.6", "name": "외측 복사뼈의 골절", "primary": True}],
                    "admissions": [
                        {
                            "admitted_on": "2024-06-10",
                            "discharged_on": "2024-06-14",
                            "room_class": "ward",
                            "department": "정형외과",
                        }
                    ],
                    "bills": [
                        {
                            "number": "I-2024-0614-003",
                            "issued_on": "2024-06-14",
                            "visit": "inpatient",
                            "inpatient_kind": "discharge",
                            "period": {"from": "2024-06-10", "to": "2024-06-14"},
                            "department": "정형외과",
                            "patient_category": "health_insurance",
                            "total": 266000,
                            "patient_total": 106000,
                            "lines": [
                                {
                                    "category": "admission",
                                    "edi_code": "AB220",
                                    "name": "입원료-병원 4인실",
                                    "unit_price": 50000,
                                    "count": 1,
                                    "days": 4,
                                    "insured_copay": 40000,
                                    "insurer_paid": 160000,
                                    "fully_self_paid": 0,
                                    "uninsured": 0,
                                },
                                {
                                    "category": "materials",
                                    "name": "보조기",
                                    "insured_copay": 0,
                                    "insurer_paid": 0,
                                    "fully_self_paid": 0,
                                    "uninsured": 66000,
                                },
                            ],
                            "payments": [
                                {"paid_on": "2024-06-14", "method": "card", "amount": 106000}
                            ],
                        }
                    ],
                },
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
                },
                {
                    "schema_version": "2",
                    "specialty": "korean_medicine",
                    "encounters": [{"date": "2024-04-05"}],
                    "diagnoses": [{"code": "M54.5", "name": "요통"}],
                    "acupuncture": [{"point": "BL23"}],
                    "bills": [
                        {
                            "number": "K-2024-0405-011",
                            "issued_on": "2024-04-05",
                            "visit": "outpatient",
                            "period": {"from": "2024-04-05", "to": "2024-04-05"},
                            "patient_category": "health_insurance",
                            "lines": [
                                {
                                    "category": "acupuncture",
                                    "edi_code": "40011",
                                    "name": "침술(경혈)",
                                    "insured_copay": 1100,
                                    "insurer_paid": 4260,
                                    "fully_self_paid": 0,
                                    "uninsured": 0,
                                },
                                {
                                    "category": "chuna",
                                    "name": "추나요법",
                                    "insured_copay": 0,
                                    "insurer_paid": 0,
                                    "fully_self_paid": 0,
                                    "uninsured": 30000,
                                },
                            ],
                            "payments": [
                                {"paid_on": "2024-04-05", "method": "cash_receipt", "amount": 31100}
                            ],
                        }
                    ],
                },
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
    """The JSON Schema of ``application/vnd.medrec.record+json`` (versions 1 and 2)."""
    return _ADAPTER.json_schema()
