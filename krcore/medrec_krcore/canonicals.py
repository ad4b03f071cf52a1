"""The canonical URLs of KR Core 2.0 (HL7 Korea, STU 2) that the checks name, as the IG
publishes them (build.fhir.org/ig/hl7korea/krocre, FSH in github.com/hl7korea/krocre)."""

from typing import Final

KRCORE_CANONICAL: Final = "http://www.hl7korea.or.kr/fhir/krcore"
_SD: Final = KRCORE_CANONICAL + "/StructureDefinition/"

# -- profiles (their `Id:` in the IG's FSH) -------------------------------------------------------
PATIENT_PROFILE: Final = _SD + "krcore-patient"
ENCOUNTER_PROFILE: Final = _SD + "krcore-encounter"
CONDITION_ENCOUNTER_DIAGNOSIS_PROFILE: Final = _SD + "krcore-condition-encounter-diagnosis"
CONDITION_CHIEF_COMPLAINT_PROFILE: Final = _SD + "krcore-condition-chief-complaint"
MEDICATION_REQUEST_PROFILE: Final = _SD + "krcore-medicationrequest"
PROCEDURE_PROFILE: Final = _SD + "krcore-procedure"
OBSERVATION_LABORATORY_PROFILE: Final = _SD + "krcore-observation-laboratory-result"
OBSERVATION_VITAL_SIGNS_PROFILE: Final = _SD + "krcore-vitalsigns"
OBSERVATION_FUNCTION_TEST_PROFILE: Final = _SD + "krcore-observation-function-test"
DIAGNOSTIC_REPORT_LABORATORY_PROFILE: Final = _SD + "krcore-diagnosticreport-laboratory-results"
DIAGNOSTIC_REPORT_IMAGING_PROFILE: Final = _SD + "krcore-diagnosticreport-diagnostic-imaging"
ORGANIZATION_PROFILE: Final = _SD + "krcore-organization"
HEALTHCARE_ORGANIZATION_PROFILE: Final = _SD + "krcore-healthcare-organization"
PRACTITIONER_PROFILE: Final = _SD + "krcore-practitioner"

# -- code systems and identifiers -----------------------------------------------------------------
#: 통계청 제8차 한국표준질병·사인분류 (KCD-8): an encounter diagnosis's code (required binding)
KCD8_SYSTEM: Final = "http://www.hl7korea.or.kr/CodeSystem/kostat-kcd-8"
#: 요양기관기호 (HIRA): a healthcare organization's identifier, fixed by the profile
HIRA_KRNPI_SYSTEM: Final = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"
#: KR Core's condition categories: `진단` (encounter diagnosis, the profile's fixed category) and
#: `주호소` (chief complaint). No `^url` in the FSH: the IG's canonical + CodeSystem/ + its Id.
CONDITION_CATEGORY_SYSTEM: Final = KRCORE_CANONICAL + "/CodeSystem/krcore-condition-category-types"
DIAGNOSIS_CATEGORY: Final = "진단"
CHIEF_COMPLAINT_CATEGORY: Final = "주호소"
#: FHIR's own condition category; `encounter-diagnosis` is read as a diagnosis too
HL7_CONDITION_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
ENCOUNTER_CLASS_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOINC_SYSTEM: Final = "http://loinc.org"
#: A person's resident registration number as an identifier: KR Core names no system for it;
#: medrec's is the same as `medrec_shared.rules.fhir_systems.RRN_SYSTEM` (a test holds them equal).
RRN_SYSTEM: Final = "https://mois.go.kr/rrn"
