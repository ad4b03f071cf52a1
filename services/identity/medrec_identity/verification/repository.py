import uuid
from datetime import datetime

from sqlalchemy import delete, update

from medrec_identity.models import Verification
from medrec_shared.platform.db import Repository


class VerificationRepository(Repository):
    async def get(self, verification_id: uuid.UUID) -> Verification | None:
        return await self.session.get(Verification, verification_id)

    async def add(self, verification: Verification) -> None:
        self.session.add(verification)
        await self.session.flush()

    async def take_attempt(self, verification_id: uuid.UUID, max_attempts: int) -> int | None:
        """Counts one try before the proof is checked, so concurrent guesses cannot exceed the
        limit; None when no try is left (locked)."""
        result = await self.session.execute(
            update(Verification)
            .where(
                Verification.verification_id == verification_id,
                Verification.attempts < max_attempts,
            )
            .values(attempts=Verification.attempts + 1)
            .returning(Verification.attempts)
        )
        attempts = result.scalar_one_or_none()
        return None if attempts is None else int(attempts)

    async def claim(self, verification_id: uuid.UUID, now: datetime) -> bool:
        """Marks it confirmed once: a verification is single-use even under concurrent confirms."""
        result = await self.session.execute(
            update(Verification)
            .where(
                Verification.verification_id == verification_id,
                Verification.confirmed_at.is_(None),
            )
            .values(confirmed_at=now)
            .returning(Verification.verification_id)
        )
        return result.first() is not None

    async def purge_expired_before(self, cutoff: datetime) -> int:
        """Housekeeping: verifications (sealed name and RRN) long past their expiry."""
        result = await self.session.execute(
            delete(Verification).where(Verification.expires_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
