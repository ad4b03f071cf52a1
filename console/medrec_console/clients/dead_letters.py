"""The events each consuming service parked (`dead-letters:manage`): ingest's, catalog's and
issuance's, listed side by side, and a retry asked of the one service that parked it (its worker
runs the handler again; the entry then shows `retried`, or is parked again with the new error).
What an operator reads is where and why, never the event's payload."""

from typing import Any, Literal

from medrec_console.clients.http import Api
from medrec_console.clients.models import DeadLetter, DeadLetters

Consumer = Literal["ingest", "catalog", "issuance"]
CONSUMERS: tuple[Consumer, ...] = ("ingest", "catalog", "issuance")


class DeadLettersClient:
    def __init__(self, services: dict[Consumer, Api]) -> None:
        self.apis = services

    async def dead_letters(
        self,
        token: str,
        service: Consumer,
        *,
        status: str = "parked",
        limit: int = 50,
        cursor: str | None = None,
    ) -> DeadLetters:
        params: dict[str, Any] = {"status": status, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        return await self.apis[service].call(
            DeadLetters, "GET", "/v1/admin/dead-letters", token=token, params=params
        )

    async def retry(self, token: str, service: Consumer, entry_id: int) -> DeadLetter:
        """Asks `service`'s worker to run the event once more: 202, the entry now
        `retry_requested`; one not parked (being retried, or retried) is a 409 problem."""
        return await self.apis[service].call(
            DeadLetter, "POST", f"/v1/admin/dead-letters/{entry_id}/retry", token=token
        )
