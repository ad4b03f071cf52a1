"""issuance's rules without the stack: who may see or copy what (medrec_issuance.access), when a
copy may be downloaded, what the public check calls authentic, and how an operator reviews an
Art. 21 request (each once, with the documents its relation needs).

These tests come from tests/unit/test_issuance_rules.py, split by domain."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from medrec_issuance.models import (
    Issuance,
    IssuanceStatus,
)
from medrec_issuance.verify.service import code_matches, was_issued

NOW = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)


CHILD, GUARDIAN, STRANGER = "person-child", "person-guardian", "person-stranger"


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


# --- the public check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "issued"),
    [
        (IssuanceStatus.ready, True),
        (IssuanceStatus.purged, True),  # a purged copy was still issued
        (IssuanceStatus.pending, False),
        (IssuanceStatus.failed, False),
    ],
)
def test_only_issued_copies_are_authentic(status: IssuanceStatus, issued: bool) -> None:
    assert was_issued(issuance(status=status)) is issued
    assert not was_issued(None)


def test_the_code_ignores_case_and_surrounding_spaces() -> None:
    copy = issuance()
    assert code_matches(copy, " abcdefgh ")
    assert not code_matches(copy, "ABCDEFGX")
