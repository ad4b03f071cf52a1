"""The public authenticity check (진위확인), the rules: a copy is authentic when it was issued
(ready, or purged since: a purged copy was still issued) and the code matches, or when the
uploaded file is byte for byte a copy we issued and its signature checks against our certificate.
The answer reveals nothing about the person."""

import asyncio
import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.documents import verify_pdf
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.verify.repository import VerifyRepository
from medrec_issuance.verify.schemas import VerifyOut

ISSUED = frozenset({IssuanceStatus.ready, IssuanceStatus.purged})


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
        record_count=len(issuance.record_ids),
        pages=issuance.pages,
        sha256=issuance.sha256,
    )


async def check_upload(session: AsyncSession, pdf: bytes, issuer_cert: bytes) -> VerifyOut:
    issuance = await VerifyRepository(session).by_sha256(hashlib.sha256(pdf).hexdigest())
    if issuance is None or not was_issued(issuance):
        return VerifyOut(valid=False)
    check = await asyncio.to_thread(verify_pdf, pdf, issuer_cert)
    return VerifyOut(valid=check.intact and check.valid, issuance_number=issuance.issuance_number)
