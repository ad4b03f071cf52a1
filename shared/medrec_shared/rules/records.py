"""The record vocabulary every service shares (DOMAIN.md): kinds, specialties, sexes."""

from enum import StrEnum


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
