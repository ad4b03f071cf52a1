"""이관 요청's rules: a citizen may ask for a clinic the directory knows whose records are not
held here (one request per person and clinic, however often asked); a health centre sees its own
region's clinics counted, a platform person every region's, never who asked; when the clinic's
records arrive everyone who asked is told once (`arrived`). Nothing here commits."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory import service as directory
from medrec_catalog.transfer_requests.notify import tell_arrived
from medrec_catalog.transfer_requests.repository import Asked, TransferRequestRepository
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.problems import Conflict, Forbidden, NotFound
from medrec_shared.rules.regions import spellings
from medrec_shared.rules.staff import region_limit


def asker_key(principal: Principal) -> str:
    """Who asks, and so who is told: the person themselves, also when a guardian acts for a
    child (the guardian reads their own notices, never the child's: notices.service)."""
    key = principal.actor_person_key if principal.acting_for_other else principal.person_key
    if key is None:
        raise Forbidden("This needs a citizen's token.")
    return key


async def ask(session: AsyncSession, person_key: str, code: str, *, now: datetime) -> bool:
    """True for a new request, False when this person had asked already."""
    _, held = await directory.institution(session, code)  # NotFound: no such institution
    if held > 0:
        raise Conflict("This institution's records are already held here.")
    return await TransferRequestRepository(session).add(code, person_key, now=now)


async def asked_by(session: AsyncSession, person_key: str) -> list[str]:
    return await TransferRequestRepository(session).asked_by(person_key)


def regions_seen(principal: Principal, region: str | None) -> frozenset[str] | None:
    """The region spellings a staff person's queue keeps: a health centre's own region whatever
    it asks for (an empty set for another region), `region` or all for anyone else."""
    asked = spellings(region) if region else None
    staff = principal.staff
    held = region_limit(staff.roles, staff.region) if staff is not None else None
    roles = set(staff.roles) if staff is not None else set()
    if held is None and "health_centre" in roles and "platform" not in roles:
        raise Forbidden("A health centre's account without a region sees no requests.")
    if held is None:
        return asked
    own = spellings(held)
    return own if asked is None or asked & own else frozenset()


async def queue(
    session: AsyncSession, principal: Principal, region: str | None, limit: int
) -> list[Asked]:
    regions = regions_seen(principal, region)
    if regions is not None and not regions:
        return []
    return await TransferRequestRepository(session).queue(regions, limit)


async def arrived(session: AsyncSession, code: str, name: str | None, *, now: datetime) -> int:
    """The clinic's records arrived: everyone who asked and was not told is told now, once
    (however often the clinic's transfers complete). How many were told."""
    people = await TransferRequestRepository(session).mark_told(code, now=now)
    if not people:
        return 0
    if name is None:  # a TransferCompleted written before #29 does not name the clinic
        try:
            name = (await directory.institution(session, code))[0].name
        except NotFound:
            name = code
    for person_key in people:
        await tell_arrived(session, person_key, code, name, now=now)
    return len(people)
