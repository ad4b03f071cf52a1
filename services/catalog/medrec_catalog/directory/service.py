"""The directory's rules: an institution's status from the transfer that brought its records,
its record count as the records a citizen would be shown (`records.service.SHOWN`), and the
custody shown (held and transferring follow from records and an open transfer; else the one
declared; `repository.custody_filter` is the same rule in SQL). Nothing here commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.models import Institution, InstitutionStatus
from medrec_catalog.records.service import SHOWN
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.custody import CustodyStatus


def custody_shown(institution: Institution, count: int) -> CustodyStatus:
    """held when records are here, transferring while a transfer is open, else as declared."""
    if count > 0:
        return CustodyStatus.held
    if institution.open_transfer_id is not None:
        return CustodyStatus.transferring
    return institution.custody_status


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
