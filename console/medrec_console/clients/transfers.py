"""ingest's transfers as the console reads them (`transfers:oversee`): a page of transfers by
region and status, one transfer with its counts and recent problems, and the release, which one
person proposes and a second, different person confirms (`transfers:release`).

A health centre's person asks with their own token: ingest holds them to their region (another
region's transfers are not listed, and one asked for by id is 404), so the console never filters
what ingest would have refused."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from medrec_console.clients.http import Api
from medrec_shared.platform.pages import Page


class TransferInstitution(BaseModel):
    code: str
    name: str
    region: str


class TransferCounts(BaseModel):
    received: int = 0
    stored: int = 0
    failed: int = 0
    expired_on_arrival: int = 0
    bytes: int = 0


class ReleaseState(BaseModel):
    """Where a transfer's release stands: proposed by one person, or released (confirmed by a
    second). Absent while nobody has proposed it."""

    proposed_by: str | None = None
    proposed_at: datetime | None = None
    reason: str | None = None
    released_by: str | None = None
    released_at: datetime | None = None
    grace_until: datetime | None = None

    @property
    def status(self) -> str:
        """release_proposed (waiting for a second person) or released."""
        return "released" if self.released_at is not None else "release_proposed"


class Transfer(BaseModel):
    transfer_id: uuid.UUID
    institution: TransferInstitution
    status: str  # open | completed | released
    reason: str  # closure | suspension
    effective_date: date
    counts: TransferCounts
    opened_at: datetime | None = None
    completed_at: datetime | None = None
    release: ReleaseState | None = None


class TransferProblem(BaseModel):
    """A failed record of a transfer: its external id and the problem's title, nothing of the
    patient."""

    external_id: str | None = None
    title: str
    occurred_at: datetime | None = None


class TransferDetail(Transfer):
    problems: list[TransferProblem] = []


class Transfers(Page[Transfer]):
    """A page of transfers, newest first."""


class ReleaseOutcome(BaseModel):
    """The answer to a release: `release_proposed` (202, the first person) or `released` (200,
    the second)."""

    status: str
    proposed_by: str | None = None


class TransfersClient:
    def __init__(self, ingest: Api) -> None:
        self.api = ingest

    async def transfers(
        self,
        token: str,
        *,
        region: str | None = None,
        status: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Transfers:
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("region", region), ("status", status), ("cursor", cursor)):
            if value:
                params[name] = value
        return await self.api.call(
            Transfers, "GET", "/v1/admin/transfers", token=token, params=params
        )

    async def transfer(self, token: str, transfer_id: uuid.UUID) -> TransferDetail:
        return await self.api.call(
            TransferDetail, "GET", f"/v1/admin/transfers/{transfer_id}", token=token
        )

    async def release(self, token: str, transfer_id: uuid.UUID) -> ReleaseOutcome:
        """Proposes the release (the first person) or confirms it (a second, different one);
        the same person twice is a 409 problem, a machine account's token a 403."""
        return await self.api.call(
            ReleaseOutcome, "POST", f"/v1/transfers/{transfer_id}/release", token=token
        )
