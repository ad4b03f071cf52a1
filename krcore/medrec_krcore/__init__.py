"""KR Core 2.0 checks of a record's FHIR R4 Bundle (HL7 Korea, canonical
http://www.hl7korea.or.kr/fhir/krcore): pure Python, no dependency, the same in the transfer
kit (`medrec-transfer validate`) and in medrec's ingest (a 422 naming each FHIRPath).

`check_bundle(bundle, patient=PatientClaim(...))` returns the `Problem`s found, each at a
FHIRPath (`Bundle.entry[2].resource.code.coding[0].system`) with a message that never quotes a
value; none means valid. One module per resource family: patient, encounter, condition,
medication, procedure, observation (and DiagnosticReport), organization (and Practitioner);
references; bundle.
"""

from medrec_krcore.bundle import BUNDLE_TYPES, check_bundle
from medrec_krcore.canonicals import (
    CHIEF_COMPLAINT_CATEGORY,
    CONDITION_CATEGORY_SYSTEM,
    CONDITION_CHIEF_COMPLAINT_PROFILE,
    CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE,
    DIAGNOSIS_CATEGORY,
    DIAGNOSTIC_REPORT_IMAGING_PROFILE,
    DIAGNOSTIC_REPORT_LABORATORY_PROFILE,
    ENCOUNTER_CLASS_SYSTEM,
    ENCOUNTER_PROFILE,
    HEALTHCARE_ORGANIZATION_PROFILE,
    HIRA_KRNPI_SYSTEM,
    HL7_CONDITION_CATEGORY_SYSTEM,
    KCD8_SYSTEM,
    KRCORE_CANONICAL,
    LOINC_SYSTEM,
    MEDICATION_REQUEST_PROFILE,
    OBSERVATION_CATEGORY_SYSTEM,
    OBSERVATION_FUNCTION_TEST_PROFILE,
    OBSERVATION_LABORATORY_PROFILE,
    OBSERVATION_VITAL_SIGNS_PROFILE,
    ORGANIZATION_PROFILE,
    PATIENT_PROFILE,
    PRACTITIONER_PROFILE,
    PROCEDURE_PROFILE,
    RRN_SYSTEM,
)
from medrec_krcore.condition import is_chief_complaint
from medrec_krcore.problems import PatientClaim, Problem

__all__ = [
    "BUNDLE_TYPES",
    "CHIEF_COMPLAINT_CATEGORY",
    "CONDITION_CATEGORY_SYSTEM",
    "CONDITION_CHIEF_COMPLAINT_PROFILE",
    "CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE",
    "DIAGNOSIS_CATEGORY",
    "DIAGNOSTIC_REPORT_IMAGING_PROFILE",
    "DIAGNOSTIC_REPORT_LABORATORY_PROFILE",
    "ENCOUNTER_CLASS_SYSTEM",
    "ENCOUNTER_PROFILE",
    "HEALTHCARE_ORGANIZATION_PROFILE",
    "HIRA_KRNPI_SYSTEM",
    "HL7_CONDITION_CATEGORY_SYSTEM",
    "KCD8_SYSTEM",
    "KRCORE_CANONICAL",
    "LOINC_SYSTEM",
    "MEDICATION_REQUEST_PROFILE",
    "OBSERVATION_CATEGORY_SYSTEM",
    "OBSERVATION_FUNCTION_TEST_PROFILE",
    "OBSERVATION_LABORATORY_PROFILE",
    "OBSERVATION_VITAL_SIGNS_PROFILE",
    "ORGANIZATION_PROFILE",
    "PATIENT_PROFILE",
    "PRACTITIONER_PROFILE",
    "PROCEDURE_PROFILE",
    "RRN_SYSTEM",
    "PatientClaim",
    "Problem",
    "check_bundle",
    "is_chief_complaint",
]
