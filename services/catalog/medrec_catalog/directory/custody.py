"""Staff keep a closed clinic's custody true (DOMAIN.md, "Custody of every closed clinic"):
who holds the records when they are not here, and how to ask. A health centre's staff set it
for their own region's clinics only (another region's: 403, nothing changed); platform staff for
any. `held` and `transferring` are never set: they follow from records and open transfers. Each
change is a staff act in the audit trail, with the act or not at all; the holder's name never
goes into the trail (only the status does)."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_catalog.directory.repository import InstitutionRepository
from medrec_catalog.directory.schemas import CustodyIn
from medrec_catalog.directory.service import institution
from medrec_catalog.models import Institution
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.problems import Forbidden, ValidationFailed
from medrec_shared.rules.custody import CustodyStatus
from medrec_shared.rules.regions import spellings
from medrec_shared.rules.staff import region_limit
from medrec_shared.rules.staff_acts import announce_act


class OtherRegion(Forbidden):
    type, title = "other-region", "This clinic is in another health centre's region"


class CustodyIncomplete(ValidationFailed):
    type, title = "custody-incomplete", "A custody needs who holds the records and how to ask"


def require_region(principal: Principal, clinic: Institution) -> None:
    """A health centre's staff act on their own region's clinics only."""
    staff = principal.staff
    if staff is None:
        return
    held = region_limit(staff.roles, staff.region)
    if held is None:
        if "health_centre" in staff.roles and "platform" not in staff.roles:
            raise OtherRegion("A health centre's account without a region manages no clinic.")
        return
    if not spellings(clinic.region) & spellings(held):
        raise OtherRegion("Only the clinic's own health centre may set its custody.")


def checked(body: CustodyIn) -> dict[str, object]:
    """The columns to write: a founder or a health centre needs both holder and contact; 미확인
    has neither."""
    status = CustodyStatus(body.status)
    if status == CustodyStatus.unknown:
        if body.holder or body.contact:
            raise CustodyIncomplete("미확인 has no holder or contact: leave them out.")
        return {"custody_status": status, "custody_holder": None, "custody_contact": None}
    if not body.holder or not body.contact:
        raise CustodyIncomplete("Say who holds the records (holder) and how to ask (contact).")
    return {
        "custody_status": status,
        "custody_holder": body.holder,
        "custody_contact": body.contact,
    }


async def set_custody(
    session: AsyncSession,
    code: str,
    body: CustodyIn,
    *,
    principal: Principal,
    now: datetime,
    topic: str,
) -> tuple[Institution, int]:
    values = checked(body)
    clinic, _ = await institution(session, code)
    require_region(principal, clinic)
    values |= {"custody_updated_by": principal.accountable[:64], "custody_updated_at": now}
    await InstitutionRepository(session).set_custody(code, values)
    announce_act(
        session,
        topic,
        principal,
        "institution.custody",
        "institution",
        code,
        reason=str(values["custody_status"]),
    )
    session.expire(clinic)
    return await institution(session, code)
