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


#: The kinds' names as the law says them (Enforcement Rule Art. 15), for what a person reads.
RECORD_KIND_LABELS: dict[str, str] = {
    RecordKind.patient_register: "환자 명부",
    RecordKind.medical_record: "진료기록부",
    RecordKind.prescription: "처방전",
    RecordKind.surgery_record: "수술기록",
    RecordKind.test_record: "검사내용 및 검사소견기록",
    RecordKind.radiology: "방사선 사진 및 소견서",
    RecordKind.nursing_record: "간호기록부",
    RecordKind.midwifery_record: "조산기록부",
    RecordKind.certificate_copy: "진단서 등의 부본",
}
