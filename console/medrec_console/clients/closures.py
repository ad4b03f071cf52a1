"""catalog's registry of closed clinics as the console reads and keeps it: the directory's
search (a health centre's person asks for their own region) and a clinic's custody, set with the
person's token (`closures:manage`; catalog holds a health centre to its region: 403 otherwise)."""

from typing import Any

from medrec_console.clients.http import Api
from medrec_console.clients.models import Closure, Closures


class ClosuresClient:
    def __init__(self, catalog: Api) -> None:
        self.api = catalog

    async def closures(
        self,
        token: str,
        *,
        q: str | None = None,
        region: str | None = None,
        custody: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Closures:
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("q", q), ("region", region), ("custody", custody), ("cursor", cursor)):
            if value:
                params[name] = value
        return await self.api.call(Closures, "GET", "/v1/institutions", token=token, params=params)

    async def closure(self, token: str, code: str) -> Closure:
        return await self.api.call(Closure, "GET", f"/v1/institutions/{code}", token=token)

    async def set_custody(self, token: str, code: str, body: dict[str, str]) -> Closure:
        return await self.api.call(
            Closure, "PUT", f"/v1/admin/institutions/{code}/custody", token=token, json=body
        )
