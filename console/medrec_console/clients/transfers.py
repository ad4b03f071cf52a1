"""ingest's transfers as the console reads them (`transfers:oversee`): a page of transfers by
region and status, one transfer with its counts and recent problems, and the release, which one
person proposes and a second, different person confirms (`transfers:release`); and the
confirmation of a completed transfer's 이관확인서 (`transfers:oversee`, its region's).

A health centre's person asks with their own token: ingest holds them to their region (another
region's transfers are not listed, and one asked for by id is 404), so the console never filters
what ingest would have refused."""

import uuid
from typing import Any

from medrec_console.clients.http import Api
from medrec_console.clients.models import ReleaseOutcome, TransferDetail, Transfers


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
            ReleaseOutcome, "POST", f"/v1/admin/transfers/{transfer_id}/release", token=token
        )

    async def confirm_receipt(self, token: str, transfer_id: uuid.UUID) -> TransferDetail:
        """The region's health centre confirms the completed transfer's 이관확인서 (audited by
        ingest); a repeat answers the first confirmation."""
        return await self.api.call(
            TransferDetail,
            "POST",
            f"/v1/admin/transfers/{transfer_id}/receipt/confirm",
            token=token,
        )
