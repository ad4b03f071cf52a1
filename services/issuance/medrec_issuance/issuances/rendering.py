"""The worker renders copies with no transaction open while content moves: it claims a copy
(pending → rendering, with a claim id and the time) in one short transaction, makes it
(`Fulfilment.make`: minutes at most, streaming from ingest, through the render child, into the
vault), and records the outcome (ready, or failed with its reason) in another.

A worker may die while it renders. Its claim then stands until it is older than the longest a
render may take (`render_lease_seconds`), and the next sweep takes the copy over. A copy that
cannot be made for now (catalog or the vault away, the worker stopping) is released, pending
again. After `render_max_failures` claims that ended without an outcome (taken over, or
released by an error that is not a service away) the copy fails rather than kill worker after
worker. A worker that merely overran finds its claim taken when it comes to record: its outcome
is dropped. So an outcome is recorded only under the claim it was made under, with the row
locked, and only while the copy is still `rendering`: one made while a record of it was
unlinked or destroyed (the copy failed meanwhile, `Fulfilment.take_record_from_copies`) is
dropped too. Each claim stores its copy under a key of its own (`copies/<issuance>/<claim>`),
so two workers never write one object, and an object whose outcome was dropped, or whose worker
died before recording it, is deleted: one copy is issued, once.

Copies are found by a sweep (at start, then every `render_sweep_seconds`), woken early by the
IssuanceRequested event (`handlers`): the event only says "look now", so a copy whose event
was consumed before its worker died is still made."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from medrec_issuance.documents.limits import NOT_PRODUCED
from medrec_issuance.issuances.fulfilment import Fulfilment, Made, Unmade
from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_shared.db import Transactions
from medrec_shared.deadletters.errors import is_transient
from medrec_shared.ids import new_id
from medrec_shared.logs import get_logger
from medrec_shared.worker import sleep_or_stop

log = get_logger(__name__)


def copy_key(issuance_id: uuid.UUID, claim: uuid.UUID) -> str:
    """Where a claim stores its copy: its own key, so no two claims write one object."""
    return f"copies/{issuance_id}/{claim}"


@dataclass(frozen=True)
class Claimed:
    """A copy claimed (or failed, when its claims failed once too often), read as it was left,
    and the claim it took over, whose copy may have been stored."""

    issuance: Issuance
    abandoned: uuid.UUID | None


class CopyRendering:
    def __init__(self, transactions: Transactions, fulfilment: Fulfilment) -> None:
        self.transactions = transactions
        self.fulfilment = fulfilment
        self.settings = fulfilment.settings
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A copy was asked for: sweep now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Renders every copy to make, now and after each wake or sweep interval, until
        stopped. A failure (catalog or the vault away) leaves the copy to the next sweep."""
        while not stop.is_set():
            self._wake.clear()
            try:
                while not stop.is_set() and await self.render_next():
                    pass
            except Exception as exc:
                log.warning("copy_render_retry", error_type=type(exc).__name__)
                await sleep_or_stop(stop, self.settings.render_sweep_seconds)
                continue
            await self._wait(stop)

    async def _wait(self, stop: asyncio.Event) -> None:
        woken = asyncio.ensure_future(self._wake.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                [woken, stopped],
                timeout=self.settings.render_sweep_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            woken.cancel()
            stopped.cancel()

    async def render_next(self) -> bool:
        """Claims, makes and records one copy; false when there was none to make."""
        claimed = await self._claim()
        if claimed is None:
            return False
        issuance, abandoned = claimed.issuance, claimed.abandoned
        if issuance.status != IssuanceStatus.rendering:  # failed once too often
            if abandoned is not None:
                await self._delete(issuance.issuance_id, abandoned)
            return True
        claim = issuance.render_claim
        assert claim is not None
        try:
            if abandoned is not None:  # its worker may have stored the copy before dying
                await self._delete(issuance.issuance_id, abandoned)
            outcome = await self.fulfilment.make(issuance, copy_key(issuance.issuance_id, claim))
        except BaseException as exc:  # a service away, or the worker stopping: another try soon
            failed = isinstance(exc, Exception) and not is_transient(exc)
            await asyncio.shield(self._release(issuance.issuance_id, claim, failed=failed))
            raise
        await self._record(issuance.issuance_id, claim, outcome)
        return True

    async def _claim(self) -> Claimed | None:
        """The next copy to make, claimed in a transaction of its own (committed when this
        returns), with the claim it took over if any. A copy whose claims ended without an
        outcome once too often is failed instead."""
        now = self.fulfilment.clock.now()
        lease = timedelta(seconds=self.settings.render_lease_seconds)
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).next_to_render(now - lease)
            if issuance is None:
                return None
            abandoned = issuance.render_claim
            if issuance.status == IssuanceStatus.rendering:  # its worker died, or overran
                issuance.render_failures += 1
                log.warning("copy_claim_taken_over", issuance_id=str(issuance.issuance_id))
            if issuance.render_failures > self.settings.render_max_failures:
                await self.fulfilment.fail(session, issuance, NOT_PRODUCED)
                return Claimed(issuance, abandoned)
            issuance.status = IssuanceStatus.rendering
            issuance.render_claim, issuance.render_claimed_at = new_id(), now
        return Claimed(issuance, abandoned)

    async def _record(
        self, issuance_id: uuid.UUID, claim: uuid.UUID, outcome: Made | Unmade
    ) -> None:
        """The outcome, if the copy is still rendering under this claim; otherwise it is
        dropped, and the copy it stored deleted."""
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).get(issuance_id, for_update=True)
            current = (
                issuance is not None
                and issuance.status == IssuanceStatus.rendering
                and issuance.render_claim == claim
            )
            if current and issuance is not None:
                if isinstance(outcome, Made):
                    await self.fulfilment.ready(session, issuance, outcome)
                else:
                    await self.fulfilment.fail(session, issuance, outcome.reason)
        if not current:
            log.warning("copy_outcome_dropped", issuance_id=str(issuance_id))
            await self._delete(issuance_id, claim)

    async def _release(self, issuance_id: uuid.UUID, claim: uuid.UUID, *, failed: bool) -> None:
        """The copy could not be made for now: pending again, for the next sweep, unless
        another claim or an outcome came meanwhile. A failure that is not a service away
        counts towards `render_max_failures`."""
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).get(issuance_id, for_update=True)
            if (
                issuance is not None
                and issuance.status == IssuanceStatus.rendering
                and issuance.render_claim == claim
            ):
                issuance.status = IssuanceStatus.pending
                issuance.render_failures += int(failed)
                issuance.render_claim = issuance.render_claimed_at = None
        await self._delete(issuance_id, claim)  # in case it was stored before the failure

    async def _delete(self, issuance_id: uuid.UUID, claim: uuid.UUID) -> None:
        """A claim's copy, if it stored one (deleting an absent object is no error)."""
        await self.fulfilment.vault.delete(copy_key(issuance_id, claim))
