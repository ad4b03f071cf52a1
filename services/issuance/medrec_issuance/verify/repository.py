"""The public check's reads of issuances. Nothing here commits."""

from sqlalchemy import select

from medrec_issuance.models import Issuance
from medrec_shared.platform.db import Repository


class VerifyRepository(Repository):
    async def by_number(self, number: str) -> Issuance | None:
        return await self.scalar(select(Issuance).where(Issuance.issuance_number == number))

    async def by_sha256(self, sha256: str) -> Issuance | None:
        return await self.scalar(select(Issuance).where(Issuance.sha256 == sha256))
