"""The coded values of a bill and a stay, with the Korean each form prints for them: room class,
outpatient or inpatient, patient category (환자 구분), payment method, and the receipt's rows
(별지 제6호; 한방 별지 제8호 adds its own)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class RoomClass(StrEnum):
    single = "single"
    two_three = "two_three"
    ward = "ward"
    intensive_care = "intensive_care"
    isolation = "isolation"


ROOM_CLASS: Final[dict[RoomClass, str]] = {
    RoomClass.single: "1인실",
    RoomClass.two_three: "2·3인실",
    RoomClass.ward: "4인실 이상",
    RoomClass.intensive_care: "중환자실",
    RoomClass.isolation: "격리실",
}


class BillVisit(StrEnum):
    outpatient = "outpatient"
    inpatient = "inpatient"


BILL_VISIT_LABELS: Final[dict[BillVisit, str]] = {
    BillVisit.outpatient: "외래",
    BillVisit.inpatient: "입원",
}


class InpatientKind(StrEnum):
    interim = "interim"
    discharge = "discharge"


INPATIENT_KIND_LABELS: Final[dict[InpatientKind, str]] = {
    InpatientKind.interim: "중간",
    InpatientKind.discharge: "퇴원",
}


class PatientCategory(StrEnum):
    health_insurance = "health_insurance"
    medical_aid = "medical_aid"
    car_insurance = "car_insurance"
    industrial_accident = "industrial_accident"
    general = "general"


PATIENT_CATEGORY_LABELS: Final[dict[PatientCategory, str]] = {
    PatientCategory.health_insurance: "건강보험",
    PatientCategory.medical_aid: "의료급여",
    PatientCategory.car_insurance: "자동차보험",
    PatientCategory.industrial_accident: "산재보험",
    PatientCategory.general: "일반",
}


class PaymentMethod(StrEnum):
    card = "card"
    cash_receipt = "cash_receipt"
    cash = "cash"


PAYMENT_METHOD_LABELS: Final[dict[PaymentMethod, str]] = {
    PaymentMethod.card: "카드",
    PaymentMethod.cash_receipt: "현금영수증",
    PaymentMethod.cash: "현금",
}


class BillCategory(StrEnum):
    # 별지 제6호 (의과·치과), in the form's order
    consultation = "consultation"
    admission = "admission"
    admission_single = "admission_single"
    admission_two_three = "admission_two_three"
    meals = "meals"
    medication = "medication"
    injection = "injection"
    anaesthesia = "anaesthesia"
    procedure_surgery = "procedure_surgery"
    laboratory = "laboratory"
    imaging = "imaging"
    radiotherapy = "radiotherapy"
    materials = "materials"
    rehabilitation = "rehabilitation"
    psychotherapy = "psychotherapy"
    blood = "blood"
    ct = "ct"
    mri = "mri"
    pet = "pet"
    ultrasound = "ultrasound"
    prosthodontics_orthodontics = "prosthodontics_orthodontics"
    certificates = "certificates"
    drg = "drg"
    # 별지 제8호 (한방) adds these rows
    acupuncture = "acupuncture"
    moxibustion = "moxibustion"
    cupping = "cupping"
    km_physiotherapy = "km_physiotherapy"
    km_preparations = "km_preparations"
    herbal_decoction = "herbal_decoction"
    pharmacopuncture = "pharmacopuncture"
    chuna = "chuna"
    km_psychotherapy = "km_psychotherapy"
    km_tests = "km_tests"
    other = "other"


#: The rows of the receipt, by the forms' wording.
BILL_CATEGORY_LABELS: Final[dict[BillCategory, str]] = {
    BillCategory.consultation: "진찰료",
    BillCategory.admission: "입원료",
    BillCategory.admission_single: "입원료(1인실)",
    BillCategory.admission_two_three: "입원료(2·3인실)",
    BillCategory.meals: "식대",
    BillCategory.medication: "투약 및 조제료",
    BillCategory.injection: "주사료",
    BillCategory.anaesthesia: "마취료",
    BillCategory.procedure_surgery: "처치 및 수술료",
    BillCategory.laboratory: "검사료",
    BillCategory.imaging: "영상진단료",
    BillCategory.radiotherapy: "방사선치료료",
    BillCategory.materials: "치료재료대",
    BillCategory.rehabilitation: "재활 및 물리치료료",
    BillCategory.psychotherapy: "정신요법료",
    BillCategory.blood: "전혈 및 혈액성분제제료",
    BillCategory.ct: "CT 진단료",
    BillCategory.mri: "MRI 진단료",
    BillCategory.pet: "PET 진단료",
    BillCategory.ultrasound: "초음파 진단료",
    BillCategory.prosthodontics_orthodontics: "보철·교정료",
    BillCategory.certificates: "제증명수수료",
    BillCategory.drg: "포괄수가진료비",
    BillCategory.acupuncture: "침술",
    BillCategory.moxibustion: "구술",
    BillCategory.cupping: "부항술",
    BillCategory.km_physiotherapy: "한방물리요법",
    BillCategory.km_preparations: "한방생약제제",
    BillCategory.herbal_decoction: "첩약",
    BillCategory.pharmacopuncture: "약침술",
    BillCategory.chuna: "추나요법",
    BillCategory.km_psychotherapy: "한방정신요법",
    BillCategory.km_tests: "한방검사료",
    BillCategory.other: "기타",
}

#: Rows only a 한방 bill has: such a bill is printed on 별지 제8호, not 제6호.
KOREAN_MEDICINE_CATEGORIES: Final = frozenset(
    {
        BillCategory.acupuncture,
        BillCategory.moxibustion,
        BillCategory.cupping,
        BillCategory.km_physiotherapy,
        BillCategory.km_preparations,
        BillCategory.herbal_decoction,
        BillCategory.pharmacopuncture,
        BillCategory.chuna,
        BillCategory.km_psychotherapy,
        BillCategory.km_tests,
    }
)
