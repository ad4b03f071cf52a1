"""catalog's 이관 요청 queue as the console reads it (`transfer-requests:read`): clinics with how
many people asked for their transfer, most requested first, never who.

A health centre's person asks with their own token: catalog holds them to their region, so the
console never filters what catalog would have refused."""

from medrec_console.clients.http import Api
from medrec_console.clients.models import TransferRequestQueue


class TransferRequestsClient:
    def __init__(self, catalog: Api) -> None:
        self.api = catalog

    async def queue(
        self, token: str, *, region: str | None = None, limit: int = 100
    ) -> TransferRequestQueue:
        params: dict[str, str | int] = {"limit": limit}
        if region:
            params["region"] = region
        return await self.api.call(
            TransferRequestQueue, "GET", "/v1/admin/transfer-requests", token=token,
            params=params,
        )  # fmt: skip
