"""catalog's counts for 현황 (stats:read): no personal data."""

from medrec_console.clients.http import Api
from medrec_console.clients.models import Stats


class StatsClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def stats(self, token: str) -> Stats:
        return await self.api.call(Stats, "GET", "/v1/admin/stats", token=token)
