"""The worker renders copies with no transaction open while content moves: it claims a copy
(pending → rendering, under a claim id with a lease) in one short transaction, makes it
(`Fulfilment.make`: minutes at most, streaming from ingest, through the render child, into the
vault) with no transaction open, and records the outcome (ready, or failed with its reason) in
another short transaction.

The outcome is recorded only under the claim it was made under, with the row locked, and only
while the copy is still `rendering`: a copy failed meanwhile (a record of it unlinked or
destroyed: `Fulfilment.take_record_from_copies`) or taken over by another worker (the lease
lapsed) has the outcome dropped. Just before recording a copy made, its records are asked for
once more: one no longer the subject's fails the copy rather than have it issued. Each claim
stores its copy under a key of its own (`copies/<issuance>/<claim>`), so two workers never write
one object, and the object of an outcome dropped, or of a worker that died before recording it,
is deleted: one copy is issued, once.

A worker may die while it renders. Its claim then stands until its lease ends
(`render_lease_seconds`, longer than a render may take) and a sweep takes the copy over. A copy
that cannot be made for now (catalog or the vault away) is released, pending again, and put off
for `render_retry_seconds` (so it holds up no other copy). Ending a claim (its outcome recorded,
or its release) is tried again while the database is away (a restart), so that a restart leaves
no claim standing until its lease ends. After `render_max_failures` claims that
ended without an outcome (taken over, or released by an error that is not a service away) the
copy fails rather than kill worker after worker.

Copies are found by a sweep (at start, then every `render_sweep_seconds`), woken early by the
IssuanceRequested event (`handlers`): the event only says "look now", so a copy whose event was
consumed before its worker died is still made.

With traces on, the render is a span in the trace of the request that asked for the copy: the
issuance row keeps that request's traceparent, so the render joins it whichever worker claims
the copy, woken by the event or found by a sweep."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from medrec_issuance.documents.limits import NOT_PRODUCED
from medrec_issuance.issuances.fulfilment import Fulfilment, Made, Unmade
from medrec_issuance.issuances.repository import IssuanceRepository
from medrec_issuance.models import Issuance, IssuanceStatus
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform import failpoints
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.deadletters.errors import is_transient
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.observability.metrics import COPY_RENDER_SECONDS
from medrec_shared.platform.tracing import span

log = get_logger(__name__)


def copy_key(issuance_id: uuid.UUID, claim: uuid.UUID) -> str:
    """Where a claim stores its copy: its own key, so no two claims write one object."""
    return f"copies/{issuance_id}/{claim}"


@dataclass(frozen=True)
class Claimed:
    """A copy as its claim left it (failed instead, when its claims ended without an outcome
    once too often), and the claim it took over, whose copy may have been stored."""

    issuance: Issuance
    abandoned: uuid.UUID | None


@dataclass(kw_only=True)
class CopyRendering:
    transactions: Transactions
    fulfilment: Fulfilment
    settings: IssuanceSettings
    clock: Clock
    _wake: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def wake(self) -> None:
        """A copy was asked for: sweep now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Renders every copy due, now and after each wake or sweep interval, until stopped."""
        while not stop.is_set():
            self._wake.clear()
            try:
                while not stop.is_set() and await self.render_next():
                    pass
            except Exception as exc:  # the database away: the next sweep tries again
                log.warning("copy_sweep_failed", error_type=type(exc).__name__)
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
        """Claims, makes and records one copy; false when none was due. A copy that cannot be
        made for now is released (and put off), and the sweep goes on to the next."""
        claimed = await self._claim()
        if claimed is None:
            return False
        issuance, abandoned = claimed.issuance, claimed.abandoned
        if abandoned is not None:  # its worker may have stored the copy before dying
            await self._delete(issuance.issuance_id, abandoned)
        if issuance.status != IssuanceStatus.rendering:  # failed: once too often
            return True
        with span(
            "copy render",
            parent=issuance.traceparent,
            attributes={"medrec.issuance_id": str(issuance.issuance_id)},
        ):
            await self._render(issuance)
        return True

    async def _render(self, issuance: Issuance) -> None:
        """Makes the claimed copy and records the outcome (or releases it)."""
        claim = issuance.render_claim
        assert claim is not None
        try:
            started = time.perf_counter()
            try:
                outcome = await self.fulfilment.make(
                    issuance, copy_key(issuance.issuance_id, claim)
                )
            finally:  # a render that failed or was cut short took its time too
                COPY_RENDER_SECONDS.observe(time.perf_counter() - started)
            if isinstance(outcome, Made):
                # A test's crash (or stall) between the copy stored and its outcome recorded,
                # named for one copy; nothing in production.
                failpoints.hit("issuance.copy.rendered", issuance.issuance_id)
                await failpoints.stall("issuance.copy.rendered", issuance.issuance_id)
                # Asked once more, as late as can be: a record unlinked or destroyed while the
                # copy was stored fails it rather than have it issued to this subject.
                if reason := await self.fulfilment.still_the_subjects(issuance):
                    log.warning("copy_records_changed", issuance_id=str(issuance.issuance_id))
                    outcome = Unmade(reason)
        except Exception as exc:  # a service away (or a fault): released, tried again later
            log.warning(
                "copy_render_released",
                issuance_id=str(issuance.issuance_id),
                error_type=type(exc).__name__,
            )
            await self._release(issuance.issuance_id, claim, failed=not is_transient(exc))
            return
        except BaseException:  # the worker stopping: pending again for the next worker
            await asyncio.shield(self._release(issuance.issuance_id, claim, failed=False))
            raise
        await self._record(issuance.issuance_id, claim, outcome)

    async def _claim(self) -> Claimed | None:
        """The next copy due, claimed in a transaction of its own (committed when this
        returns), with the claim it took over if any. A copy whose claims ended without an
        outcome once too often is failed instead."""
        now = self.clock.now()
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).next_to_render(now)
            if issuance is None:
                return None
            abandoned = issuance.render_claim
            if issuance.status == IssuanceStatus.rendering:  # its worker died, or overran
                issuance.render_failures += 1
                log.warning("copy_claim_taken_over", issuance_id=str(issuance.issuance_id))
            if issuance.render_failures > self.settings.render_max_failures:
                await self.fulfilment.fail(session, issuance, NOT_PRODUCED)
                issuance.render_claim = issuance.render_lease_until = None
                return Claimed(issuance, abandoned)
            issuance.status = IssuanceStatus.rendering
            issuance.render_claim = new_id()
            issuance.render_lease_until = now + timedelta(
                seconds=self.settings.render_lease_seconds
            )
        return Claimed(issuance, abandoned)

    async def _record(
        self, issuance_id: uuid.UUID, claim: uuid.UUID, outcome: Made | Unmade
    ) -> None:
        """The outcome, if the copy is still rendering under this claim; otherwise it is
        dropped, and the copy it stored deleted. Either way a claim still standing ends."""
        recorded = await self._while_database_away(
            lambda: self._record_outcome(issuance_id, claim, outcome)
        )
        if not (recorded and isinstance(outcome, Made)):
            await self._delete(issuance_id, claim)  # none stored, or not to be issued
        if not recorded:
            log.warning("copy_outcome_dropped", issuance_id=str(issuance_id))

    async def _release(self, issuance_id: uuid.UUID, claim: uuid.UUID, *, failed: bool) -> None:
        """The copy could not be made for now: pending again, put off for a while, unless
        another claim or an outcome came meanwhile. A failure that is not a service away
        counts towards `render_max_failures`."""
        await self._while_database_away(lambda: self._end_claim(issuance_id, claim, failed))
        await self._delete(issuance_id, claim)  # in case it was stored before the failure

    async def _end_claim(self, issuance_id: uuid.UUID, claim: uuid.UUID, failed: bool) -> bool:
        retry_at = self.clock.now() + timedelta(seconds=self.settings.render_retry_seconds)
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).get(issuance_id, for_update=True)
            if issuance is not None and issuance.render_claim == claim:
                if issuance.status == IssuanceStatus.rendering:
                    issuance.status = IssuanceStatus.pending
                    issuance.render_failures += int(failed)
                    issuance.render_lease_until = retry_at
                else:
                    issuance.render_lease_until = None
                issuance.render_claim = None
        return True

    async def _record_outcome(
        self, issuance_id: uuid.UUID, claim: uuid.UUID, outcome: Made | Unmade
    ) -> bool:
        """Whether the outcome is the copy's now. Asked again after a connection lost at the
        commit, it recognises the copy it recorded by the key its claim stored it under."""
        async with self.transactions.begin() as session:
            issuance = await IssuanceRepository(session).get(issuance_id, for_update=True)
            if issuance is None:
                return False
            if issuance.render_claim != claim:
                return isinstance(outcome, Made) and (
                    issuance.status == IssuanceStatus.ready
                    and issuance.object_key == outcome.stored.object_key
                )
            recorded = False
            if issuance.status == IssuanceStatus.rendering:
                if isinstance(outcome, Made):
                    await self.fulfilment.ready(session, issuance, outcome)
                else:
                    await self.fulfilment.fail(session, issuance, outcome.reason)
                recorded = True
            issuance.render_claim = issuance.render_lease_until = None
        return recorded

    async def _while_database_away(self, step: Callable[[], Awaitable[bool]]) -> bool:
        """`step` (one short transaction ending a claim) again while the database is away (a
        restart): given up, the claim would stand until its lease ends, minutes, as if its
        worker had died. Given up at that point, when a sweep may take the copy over anyway."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.render_lease_seconds
        attempt = 0
        while True:
            try:
                return await step()
            except Exception as exc:
                if not is_transient(exc) or loop.time() > deadline:
                    raise
                attempt += 1
                log.warning("copy_claim_end_retry", error_type=type(exc).__name__)
                await asyncio.sleep(min(2.0**attempt, 15.0))

    async def _delete(self, issuance_id: uuid.UUID, claim: uuid.UUID) -> None:
        """A claim's copy, if it stored one (deleting an absent object is no error)."""
        await self.fulfilment.vault.delete(copy_key(issuance_id, claim))
