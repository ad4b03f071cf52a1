"""catalog as the other services see it: a record's metadata and whose it is, a person's
records (issuance, for a copy and an Art. 21 review)."""

import uuid

from medrec_shared.platform.http import ServiceClient
from medrec_shared.rules.contracts import CatalogedRecord, RecordSummaries, RecordSummary


class CatalogClient:
    def __init__(self, service: ServiceClient) -> None:
        self.service = service

    async def record(self, record_id: uuid.UUID) -> CatalogedRecord | None:
        """None: catalog holds no such record (never was, destroyed or withdrawn)."""
        return await self.service.find(CatalogedRecord, f"/internal/v1/records/{record_id}")

    async def records_of(self, person_key: str, institution: str | None) -> list[RecordSummary]:
        """A person's available records (at `institution` when one is named)."""
        params = {"institution": institution} if institution else {}
        answer = await self.service.read(
            RecordSummaries, f"/internal/v1/persons/{person_key}/records", params=params
        )
        return answer.items

    async def aclose(self) -> None:
        await self.service.aclose()
