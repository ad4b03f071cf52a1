"""The FHIR systems and profiles medrec names (API.md, "FHIR"). KR Core's own canonicals (its
profiles, KCD-8, 요양기관기호) live with the KR Core checks in `medrec_krcore`, which the transfer
kit carries too; these are medrec's and IHE's."""

from typing import Final

#: a person's RRN as an identifier: sent only when the person asks for it, never in a URL
RRN_SYSTEM: Final = "https://mois.go.kr/rrn"
#: a record's kind (DOMAIN.md's kinds) in DocumentReference.category
RECORD_KIND_SYSTEM: Final = "https://medrec.example/fhir/CodeSystem/record-kind"
#: a record's specialty (medical, dental, korean_medicine) in DocumentReference.practiceSetting
SPECIALTY_SYSTEM: Final = "https://medrec.example/fhir/CodeSystem/specialty"
#: a record's id at medrec, as DocumentReference.identifier
RECORD_ID_SYSTEM: Final = "https://medrec.example/fhir/record-id"
#: the depositor's external id of a record (DocumentReference.masterIdentifier)
EXTERNAL_ID_SYSTEM: Final = "https://medrec.example/fhir/external-id"

# IHE MHD 4.2 profiles (https://profiles.ihe.net/ITI/MHD/)
MHD_BASE: Final = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/"
MHD_MINIMAL_SUBMISSION_BUNDLE: Final = MHD_BASE + "IHE.MHD.Minimal.ProvideBundle"
MHD_MINIMAL_SUBMISSION_SET: Final = MHD_BASE + "IHE.MHD.Minimal.SubmissionSet"
MHD_MINIMAL_DOCUMENT_REFERENCE: Final = MHD_BASE + "IHE.MHD.Minimal.DocumentReference"
MHD_SUBMISSION_SET_TYPE_SYSTEM: Final = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
