"""Structured clinical content of a record: a documented, versioned JSON schema.

Content type ``application/vnd.medrec.record+json``. A document is one JSON object with
``schema_version`` ``"1"`` or ``"2"`` and a ``specialty`` discriminator:

- ``medical`` (의과): encounters, diagnoses (KCD), prescriptions, tests, procedures;
- ``dental`` (치과): the same plus a tooth chart in FDI two-digit notation;
- ``korean_medicine`` (한방): encounters, diagnoses, pattern identification (변증), acupuncture
  points (침), moxibustion/cupping (뜸/부항) and herbal formulas (한약 처방);
- version 2, every specialty: ``admissions`` (입원) and ``bills`` (진료비 계산서·영수증 with
  their lines and payments, whole won, their arithmetic checked).

Unknown fields are refused everywhere (``extra="forbid"``), so a typo is an error, not silently
lost data. ``structured_record_json_schema()`` gives the JSON Schema for publication.

Also here: ``check_fhir_bundle``, a structural check of a FHIR R4 Bundle
(``application/fhir+json``). The modules: ``entries`` (version 1's entries), ``bills`` (version
2's) and ``billing_codes`` (their coded values and labels), ``records`` (the documents),
``fhir``, ``facts`` (``document_facts``: the dates and amounts documents are made from),
``krcore`` (a FHIR record's KR Core checks, from ``medrec_krcore``) and ``krcore_in``
(``parse_krcore_record``: a KR Core bundle read as a structured record, for the documents).
"""

from typing import Final

from medrec_shared.rules.clinical.billing_codes import (
    BILL_CATEGORY_LABELS,
    BILL_VISIT_LABELS,
    INPATIENT_KIND_LABELS,
    KOREAN_MEDICINE_CATEGORIES,
    PATIENT_CATEGORY_LABELS,
    PAYMENT_METHOD_LABELS,
    ROOM_CLASS,
    BillCategory,
    BillVisit,
    InpatientKind,
    PatientCategory,
    PaymentMethod,
    RoomClass,
)
from medrec_shared.rules.clinical.bills import Admission, Bill, BillLine, BillPeriod, Payment
from medrec_shared.rules.clinical.entries import (
    KCD_CODE_PATTERN,
    AcupuncturePoint,
    Diagnosis,
    Encounter,
    HerbalFormula,
    HerbDose,
    Prescription,
    Procedure,
    TestResult,
    ToothEntry,
    is_valid_fdi_tooth,
)
from medrec_shared.rules.clinical.facts import document_facts
from medrec_shared.rules.clinical.fhir import (
    FHIR_BUNDLE_TYPES,
    FHIR_CONTENT_TYPE,
    check_fhir_bundle,
)
from medrec_shared.rules.clinical.krcore_in import parse_krcore_record
from medrec_shared.rules.clinical.records import (
    SCHEMA_VERSIONS,
    DentalRecord,
    KoreanMedicineRecord,
    MedicalRecord,
    SchemaVersion,
    StructuredRecord,
    StructuredRecordModel,
    parse_structured_record,
    structured_record_json_schema,
)

STRUCTURED_RECORD_CONTENT_TYPE: Final = "application/vnd.medrec.record+json"

__all__ = [
    "BILL_CATEGORY_LABELS",
    "BILL_VISIT_LABELS",
    "FHIR_BUNDLE_TYPES",
    "FHIR_CONTENT_TYPE",
    "INPATIENT_KIND_LABELS",
    "KCD_CODE_PATTERN",
    "KOREAN_MEDICINE_CATEGORIES",
    "PATIENT_CATEGORY_LABELS",
    "PAYMENT_METHOD_LABELS",
    "ROOM_CLASS",
    "SCHEMA_VERSIONS",
    "STRUCTURED_RECORD_CONTENT_TYPE",
    "AcupuncturePoint",
    "Admission",
    "Bill",
    "BillCategory",
    "BillLine",
    "BillPeriod",
    "BillVisit",
    "DentalRecord",
    "Diagnosis",
    "Encounter",
    "HerbDose",
    "HerbalFormula",
    "InpatientKind",
    "KoreanMedicineRecord",
    "MedicalRecord",
    "PatientCategory",
    "Payment",
    "PaymentMethod",
    "Prescription",
    "Procedure",
    "RoomClass",
    "SchemaVersion",
    "StructuredRecord",
    "StructuredRecordModel",
    "TestResult",
    "ToothEntry",
    "check_fhir_bundle",
    "document_facts",
    "is_valid_fdi_tooth",
    "parse_krcore_record",
    "parse_structured_record",
    "structured_record_json_schema",
]
