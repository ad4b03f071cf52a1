"""The end of records as the console reads and acts on it: ingest's destruction log
(`destructions:read`) and catalog's retention extension of one record (`retention:manage`),
once, with a reason that names why (`extended_by` is the person, from their token)."""

import uuid
from typing import Any

from medrec_console.clients.http import Api
from medrec_console.clients.models import Destructions, RetentionExtended


class DestructionsClient:
    def __init__(self, ingest: Api) -> None:
        self.api = ingest

    async def destructions(
        self,
        token: str,
        *,
        institution: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Destructions:
        """The log, or one institution's."""
        params: dict[str, Any] = {"limit": limit}
        if institution:
            params["institution"] = institution
        if cursor:
            params["cursor"] = cursor
        return await self.api.call(
            Destructions, "GET", "/v1/admin/destructions", token=token, params=params
        )


class RetentionClient:
    def __init__(self, catalog: Api) -> None:
        self.api = catalog

    async def extend(self, token: str, record_id: uuid.UUID, reason: str) -> RetentionExtended:
        """One more period of the record's kind, once: a second extension is a 409 problem."""
        return await self.api.call(
            RetentionExtended,
            "POST",
            f"/v1/admin/records/{record_id}/retention-extension",
            token=token,
            json={"reason": reason},
        )
