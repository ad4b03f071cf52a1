"""The public authenticity check (진위확인), the rules: a copy is authentic when it was issued
(ready, or purged since: a purged copy was still issued) and the code matches, or when the
uploaded file is byte for byte a copy we issued and its signature checks against our certificate.
The answer reveals nothing about the person: what was issued (the document's type), when, from
which institutions, and its size and digest. A transfer's 이관확인서 answers the same way, its
label 이관확인서 and the count of records it says were received.

An upload is known by its SHA-256 alone (hashed as it arrived, never kept): a copy's hash is
recorded only after the render process checked the copy's signature against our certificate
(`documents.confined.produce`), so bytes with that hash are a copy whose signature holds."""

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.verify.repository import VerifyRepository
from medrec_issuance.verify.schemas import VerifyOut
from medrec_shared.rules.documents import document_label

ISSUED = frozenset({IssuanceStatus.ready, IssuanceStatus.purged})


def record_count(issuance: Issuance) -> int:
    """The records a copy or document holds; those a transfer's receipt says were received."""
    if issuance.facts is not None:
        return int(issuance.facts.get("record_count", 0))
    return len(issuance.record_ids)


def was_issued(issuance: Issuance | None) -> bool:
    return issuance is not None and issuance.status in ISSUED


def code_matches(issuance: Issuance, code: str) -> bool:
    """Compared in constant time; the code is typed by hand, so case and spaces do not count."""
    return secrets.compare_digest(issuance.verification_code, code.strip().upper())


async def check_by_number(session: AsyncSession, number: str, code: str) -> VerifyOut:
    issuance = await VerifyRepository(session).by_number(number)
    if issuance is None or not was_issued(issuance) or not code_matches(issuance, code):
        return VerifyOut(valid=False)
    return VerifyOut(
        valid=True,
        issuance_number=issuance.issuance_number,
        issued_at=issuance.ready_at,
        institutions=issuance.institutions,
        record_count=record_count(issuance),
        pages=issuance.pages,
        sha256=issuance.sha256,
        document_type=issuance.document_type,
        document_label=document_label(issuance.document_type),
    )


async def check_upload(session: AsyncSession, sha256: str) -> VerifyOut:
    issuance = await VerifyRepository(session).by_sha256(sha256)
    if issuance is None or not was_issued(issuance):
        return VerifyOut(valid=False)
    return VerifyOut(
        valid=True,
        issuance_number=issuance.issuance_number,
        document_type=issuance.document_type,
        document_label=document_label(issuance.document_type),
    )
