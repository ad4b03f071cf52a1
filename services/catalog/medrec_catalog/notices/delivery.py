"""The deliverer (the worker's): sends the notices the people's choices want sent, through the
`NoticeSender` port. No transaction is open while a notice is out with the provider: a batch is
claimed (for `CLAIM_SECONDS`) in one short transaction, sent, and each outcome recorded in
another; a claim that lapsed (a worker that died mid-send) is claimed again. A sender that fails
leaves the delivery pending for the next round, up to `MAX_ATTEMPTS`, then `failed`."""

from dataclasses import dataclass
from datetime import timedelta

from medrec_catalog.models import DeliveryStatus
from medrec_catalog.notices.repository import NoticeRepository
from medrec_catalog.notices.sender import NoticeSender, Outgoing
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules.notices import notice_text

log = get_logger(__name__)
CLAIM_SECONDS = 120
MAX_ATTEMPTS = 5
BATCH = 50


@dataclass(kw_only=True)
class Deliverer:
    transactions: Transactions
    sender: NoticeSender
    clock: Clock

    async def deliver_pending(self) -> int:
        """One round: how many were sent."""
        async with self.transactions.begin() as session:
            claimed = await NoticeRepository(session).claim_deliveries(
                self.clock.now(), timedelta(seconds=CLAIM_SECONDS), BATCH
            )
            batch = [
                (
                    delivery.attempts,
                    Outgoing(
                        notice_id=notice.notice_id,
                        person_key=notice.person_key,
                        kind=notice.kind,
                        text=notice_text(notice.kind, notice.params),
                    ),
                )
                for delivery, notice in claimed
            ]
        sent = 0
        for attempts, outgoing in batch:
            status = await self._send(outgoing, attempts)
            if status is None:
                continue  # tried again when the claim lapses
            async with self.transactions.begin() as session:
                await NoticeRepository(session).record_delivery(
                    outgoing.notice_id, status, self.sender.name, self.clock.now()
                )
            sent += status == DeliveryStatus.sent
        return sent

    async def _send(self, outgoing: Outgoing, attempts: int) -> DeliveryStatus | None:
        try:
            return await self.sender.send(outgoing)
        except Exception as exc:
            log.warning(
                "notice_send_failed",
                kind=outgoing.kind,
                notice_id=str(outgoing.notice_id),
                attempts=attempts,
                error_type=type(exc).__name__,
            )
            return DeliveryStatus.failed if attempts >= MAX_ATTEMPTS else None
