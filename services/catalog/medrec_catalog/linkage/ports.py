"""The demographics an operator compares, from the services that hold them sealed: ingest for a
record deposited without an RRN, identity for a verified person. Both with catalog's own
client-credentials token, scope demographics:read."""

import uuid
from typing import Any

import httpx

from medrec_shared.http import ServiceClient
from medrec_shared.problems import ServiceUnavailable


class DemographicsUnavailable(ServiceUnavailable):
    type, title = "demographics-unavailable", "The demographics cannot be read now"


class DemographicsPort:
    def __init__(self, ingest: ServiceClient, identity: ServiceClient) -> None:
        self.ingest = ingest
        self.identity = identity

    @staticmethod
    async def _read(client: ServiceClient, path: str) -> dict[str, Any] | None:
        try:
            # Each read lands in the person's access history with this purpose.
            response = await client.get(path, params={"purpose": "linkage_review"})
            if response.status_code != 404:
                response.raise_for_status()
        except httpx.HTTPError:
            raise DemographicsUnavailable(
                "The demographics cannot be read now; try again."
            ) from None
        if response.status_code == 404:
            return None
        body: dict[str, Any] = response.json()
        return body

    async def of_record(self, record_id: uuid.UUID) -> dict[str, Any] | None:
        return await self._read(self.ingest, f"/internal/v1/records/{record_id}/demographics")

    async def of_person(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        return await self._read(self.identity, f"/internal/v1/persons/{person_id}/demographics")

    async def aclose(self) -> None:
        await self.ingest.aclose()
        await self.identity.aclose()
