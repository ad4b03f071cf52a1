"""What one service answers another, as one definition both ends import: the serving route
declares it as its `response_model`, the calling client (`medrec_shared.rules.clients`) parses the
answer into it. A change to an internal answer then breaks a type check, not a request at run
time. Every model here is an answer on the wire: field names and types are the JSON's."""

import uuid
from datetime import date

from pydantic import BaseModel, Field


class InstitutionRef(BaseModel):
    code: str
    name: str | None


class RecordSummary(BaseModel):
    """catalog: a record as its owner sees it listed (no content, nothing sealed)."""

    record_id: uuid.UUID
    institution: InstitutionRef
    kind: str
    specialty: str
    title: str
    department: str | None
    service_start: date
    service_end: date
    content_type: str
    size: int
    retention_until: date
    status: str


class RecordSummaries(BaseModel):
    """catalog: a person's available records (`GET /internal/v1/persons/{key}/records`)."""

    items: list[RecordSummary]


class CatalogedRecord(RecordSummary):
    """catalog: one record for another service (`GET /internal/v1/records/{id}`), with whose
    it is (None: deposited without an RRN and not linked) and its content's digest."""

    person_key: str | None
    sha256: str


class RecordMetadata(BaseModel):
    """ingest: a stored record's title and department, which stay out of events
    (`GET /internal/v1/records/{id}`, `POST /internal/v1/records:metadata`)."""

    record_id: uuid.UUID
    institution_code: str
    title: str
    department: str | None
    kind: str
    specialty: str


class RecordMetadataList(BaseModel):
    items: list[RecordMetadata]


class RecordDemographics(BaseModel):
    """ingest: as deposited with a record that came without an RRN (what an operator compares
    in a linkage review: never an RRN)."""

    record_id: uuid.UUID
    name: str
    birth_date: date
    sex: str


class PersonKeyQuery(BaseModel):
    """catalog → identity: whose key an RRN is (a FHIR search's `patient.identifier`). The RRN
    travels in a POST body only, never a URL, and is never printed (repr)."""

    rrn: str = Field(repr=False, min_length=13, max_length=14)


class PersonKey(BaseModel):
    """identity: the keyed hash a person's records are filed under (ingest computes the same)."""

    person_key: str = Field(pattern=r"^[0-9a-f]{64}$")


class PersonDemographics(BaseModel):
    """identity: as a verified person verified (never the RRN)."""

    person_id: uuid.UUID
    name: str
    birth_date: date
    sex: str


class PersonContact(BaseModel):
    """identity: the mobile number the person's newest verification proved, as digits
    (01012345678), for catalog to send a notice to; never kept by the reader."""

    phone: str


class RecordName(BaseModel):
    """ingest: the name a record was deposited under (an Art. 21 review)."""

    record_id: uuid.UUID
    name: str


class NamesList(BaseModel):
    items: list[RecordName]


class Me(BaseModel):
    """identity: the subject of a citizen's token (`GET /v1/me`): the citizen, or the child a
    guardian token acts for."""

    person_id: uuid.UUID
    name: str
    birth_date: date
    sex: str | None = None  # male | female, from the RRN's seventh digit
    # only when the subject's own token asks for it (`include_rrn`: a FHIR export they asked for)
    rrn: str | None = None


class StayFact(BaseModel):
    admitted_on: date
    discharged_on: date | None


class BillFact(BaseModel):
    number: str
    issued_on: date
    visit: str  # outpatient | inpatient
    period_from: date
    period_to: date
    korean_medicine: bool  # 한방 (별지 제8호) rather than 제6호
    total: int  # every line's four amounts, summed
    patient_total: int  # insured_copay + fully_self_paid + uninsured, summed


class PaymentFact(BaseModel):
    bill_number: str
    paid_on: date
    amount: int


class DocumentFacts(BaseModel):
    """ingest: what a structured record holds for the documents made from it, read from its
    content (`POST /internal/v1/records:document-facts`): dates and amounts, never names,
    diagnoses or notes. A record that is not structured has no facts (absent from the list)."""

    record_id: uuid.UUID
    schema_version: str
    specialty: str
    visit_dates: list[date]
    admissions: list[StayFact]
    bills: list[BillFact]
    payments: list[PaymentFact]
    prescription_dates: list[date | None]
    has_diagnoses: bool


class DocumentFactsList(BaseModel):
    items: list[DocumentFacts]
