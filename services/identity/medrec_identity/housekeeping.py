"""The worker's housekeeping: rate-limit events too old to count, verifications (sealed
names and RRNs) kept past `verification_retention_seconds` after their expiry, and staff
sessions and OIDC sign-ins past their end."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from medrec_identity.models import rate_events
from medrec_identity.settings import IdentitySettings
from medrec_identity.staff.repository import StaffRepository
from medrec_identity.verification.repository import VerificationRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.ratelimit import RateEventRepository

log = get_logger(__name__)


def housekeeping_job(
    transactions: Transactions, settings: IdentitySettings, clock: Clock
) -> Callable[[], Awaitable[None]]:
    """Each run is one transaction of its own, opened from `transactions`."""

    async def housekeeping() -> None:
        now = clock.now()
        events_cutoff = now - timedelta(seconds=settings.rate_events_kept_seconds)
        verifications_cutoff = now - timedelta(seconds=settings.verification_retention_seconds)
        async with transactions.begin() as session:
            events = await RateEventRepository(session, rate_events).purge_before(events_cutoff)
            verifications = await VerificationRepository(session).purge_expired_before(
                verifications_cutoff
            )
            staff = StaffRepository(session)
            sessions = await staff.purge_sessions(now)
            flows = await staff.purge_flows(now)
        if events or verifications or sessions or flows:
            log.info(
                "housekeeping",
                rate_events=events,
                verifications=verifications,
                staff_sessions=sessions,
                staff_oidc_flows=flows,
            )

    return housekeeping
