"""Korean labels for record kinds, specialties and sex (DOMAIN.md)."""

from __future__ import annotations

from typing import Final

KIND_LABELS: Final[dict[str, str]] = {
    "patient_register": "환자 명부",
    "medical_record": "진료기록부",
    "prescription": "처방전",
    "surgery_record": "수술기록",
    "test_record": "검사내용 및 검사소견기록",
    "radiology": "방사선 사진(영상물 포함) 및 소견서",
    "nursing_record": "간호기록부",
    "midwifery_record": "조산기록부",
    "certificate_copy": "진단서 등의 부본",
}

SPECIALTY_LABELS: Final[dict[str, str]] = {
    "medical": "의과",
    "dental": "치과",
    "korean_medicine": "한방",
}

SEX_LABELS: Final[dict[str, str]] = {"male": "남", "female": "여", "unknown": "미상"}


def kind_label(kind: str) -> str:
    """Korean name of a record kind; an unknown value is shown as is."""
    return KIND_LABELS.get(kind, kind)


def specialty_label(specialty: str) -> str:
    """Korean name of a specialty; an unknown value is shown as is."""
    return SPECIALTY_LABELS.get(specialty, specialty)


def sex_label(sex: str) -> str:
    """Korean name of a sex value; an unknown value is shown as is."""
    return SEX_LABELS.get(sex, sex)
