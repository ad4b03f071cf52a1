"""ingest as the other services see it: a stored record's metadata (catalog), its plaintext
and the names records were deposited under (issuance), the demographics of a record deposited
without an RRN (catalog's linkage review), the dates and amounts structured records hold
(issuance's documents). Every read of content, names or demographics lands in the owner's access
history with the purpose given; facts are recorded by the document request that asks for them."""

import uuid
from collections.abc import AsyncGenerator, Sequence

from medrec_shared.platform.http import ServiceClient, unless_missing
from medrec_shared.rules.audit import Purpose
from medrec_shared.rules.contracts import (
    DocumentFacts,
    DocumentFactsList,
    NamesList,
    RecordDemographics,
    RecordMetadata,
    RecordMetadataList,
)

NAMES_BATCH = 500  # ingest's limit per request (names and metadata alike)


class ContentGone(Exception):
    """Ingest no longer holds the record (destroyed or withdrawn since catalog listed it)."""


class IngestClient:
    def __init__(self, service: ServiceClient) -> None:
        self.service = service

    async def record(self, record_id: uuid.UUID) -> RecordMetadata | None:
        """None: ingest no longer holds the record (withdrawn or destroyed)."""
        return await self.service.find(RecordMetadata, f"/internal/v1/records/{record_id}")

    async def records(self, record_ids: Sequence[uuid.UUID]) -> list[RecordMetadata]:
        """Several records' metadata in one request (at most `NAMES_BATCH`); records ingest
        does not hold are absent."""
        answer = await self.service.submit(
            RecordMetadataList,
            "/internal/v1/records:metadata",
            json={"record_ids": [str(r) for r in record_ids]},
        )
        return answer.items

    async def content(
        self, record_id: uuid.UUID, purpose: Purpose = "certified_copy"
    ) -> AsyncGenerator[bytes, None]:
        """The plaintext, as it streams; `ContentGone` when ingest no longer holds it."""
        service = self.service
        async with service.http.stream(
            "GET",
            f"/internal/v1/records/{record_id}/content",
            headers=await service.headers(),
            params={"purpose": purpose},
        ) as response:
            if unless_missing(response) is None:
                raise ContentGone
            async for chunk in response.aiter_bytes():
                yield chunk

    async def patient_names(
        self, record_ids: Sequence[uuid.UUID], purpose: Purpose = "proxy_review"
    ) -> dict[uuid.UUID, str]:
        """The name each stored record was deposited under; records ingest no longer holds are
        absent."""
        names: dict[uuid.UUID, str] = {}
        for start in range(0, len(record_ids), NAMES_BATCH):
            batch = record_ids[start : start + NAMES_BATCH]
            answer = await self.service.submit(
                NamesList,
                "/internal/v1/records:names",
                json={"record_ids": [str(r) for r in batch], "purpose": purpose},
            )
            names.update((item.record_id, item.name) for item in answer.items)
        return names

    async def document_facts(self, record_ids: Sequence[uuid.UUID]) -> list[DocumentFacts]:
        """What each stored structured record holds for the documents (dates and amounts), in
        batches of `NAMES_BATCH`; records not held, not stored or not structured are absent."""
        facts: list[DocumentFacts] = []
        for start in range(0, len(record_ids), NAMES_BATCH):
            batch = record_ids[start : start + NAMES_BATCH]
            answer = await self.service.submit(
                DocumentFactsList,
                "/internal/v1/records:document-facts",
                json={"record_ids": [str(r) for r in batch]},
            )
            facts.extend(answer.items)
        return facts

    async def record_demographics(
        self, record_id: uuid.UUID, purpose: Purpose
    ) -> RecordDemographics | None:
        """None: ingest holds no such record deposited without an RRN."""
        return await self.service.find(
            RecordDemographics,
            f"/internal/v1/records/{record_id}/demographics",
            params={"purpose": purpose},
        )

    async def aclose(self) -> None:
        await self.service.aclose()
