"""Builders for issuance's rules without the stack: the people, a copy, an Art. 21 request,
and a record as catalog describes it to issuance."""

import uuid
from datetime import UTC, datetime, timedelta

from medrec_issuance.models import (
    Issuance,
    IssuanceStatus,
    ProxyRequest,
    ProxyRequestStatus,
    Relation,
)
from medrec_shared.platform.auth import Principal
from medrec_shared.rules.contracts import CatalogedRecord, InstitutionRef, RecordSummary

NOW = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)


CHILD, GUARDIAN, STRANGER = "person-child", "person-guardian", "person-stranger"


def citizen(subject: str, *, actor: str | None = None, person_key: str | None = "") -> Principal:
    key = f"key-{subject}" if person_key == "" else person_key
    return Principal(
        subject=subject, scopes=frozenset({"issuance:write"}), person_key=key, actor=actor
    )


def issuance(
    subject: str = CHILD,
    actor: str | None = None,
    status: IssuanceStatus = IssuanceStatus.ready,
    expires_at: datetime | None = NOW + timedelta(days=90),
) -> Issuance:
    return Issuance(
        issuance_id=uuid.uuid4(),
        requester_subject=subject,
        requester_actor=actor,
        subject_person_key=f"key-{subject}",
        subject_name_masked="한*민",
        record_ids=[uuid.uuid4()],
        document_type="record_copy",
        include_diagnoses=False,
        status=status,
        issuance_number="MR-20260302-0A1B2C3D",
        verification_code="ABCDEFGH",
        institutions=[],
        object_key=f"copies/{subject}",
        kek_id="k1",
        wrapped_dek=b"dek",
        created_at=NOW,
        expires_at=expires_at,
    )


def proxy_request(status: ProxyRequestStatus = ProxyRequestStatus.submitted) -> ProxyRequest:
    return ProxyRequest(
        request_id=uuid.uuid4(),
        requester_subject="person-spouse",
        requester_person_key="key-spouse",
        patient_person_key="key-patient",
        patient_sealed=b"sealed",
        relation=Relation.spouse,
        institution_code=None,
        status=status,
    )


def summary(record_id: uuid.UUID | None = None) -> RecordSummary:
    """A record as catalog lists it to issuance."""
    day = NOW.date()
    return RecordSummary(
        record_id=record_id or uuid.uuid4(),
        institution=InstitutionRef(code="12345678", name=None),
        kind="medical_record",
        specialty="medical",
        title="경과기록",
        department=None,
        service_start=day,
        service_end=day,
        content_type="application/pdf",
        size=1,
        retention_until=day,
        status="available",
    )


def cataloged(person_key: str | None) -> CatalogedRecord:
    """A record as catalog describes it to issuance, whose it is."""
    return CatalogedRecord(**summary().model_dump(), person_key=person_key, sha256="0" * 64)
