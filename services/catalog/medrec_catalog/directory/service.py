"""The directory's rules: an institution's status from the transfer that brought its records,
and its record count as the records a citizen would be shown (`records.service.SHOWN`).
Nothing here commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.models import Institution, InstitutionStatus
from medrec_catalog.records.service import SHOWN
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.custody import CustodyStatus


def status_on_transfer(reason: str) -> InstitutionStatus:
    """A closure's records make the institution closed; any other transfer, suspended."""
    return InstitutionStatus.closed if reason == "closure" else InstitutionStatus.suspended


async def search(
    session: AsyncSession,
    q: str | None,
    region: str | None,
    type_: str | None,
    limit: int,
    after: str | None,
    custody: CustodyStatus | None = None,
) -> list[tuple[Institution, int]]:
    return await InstitutionRepository(session).search(
        q, region, type_, SHOWN, limit, after, custody
    )


async def institution(session: AsyncSession, code: str) -> tuple[Institution, int]:
    found = await InstitutionRepository(session).get(code, SHOWN)
    if found is None:
        raise NotFound("No such institution among the closed and suspended ones known.")
    return found
