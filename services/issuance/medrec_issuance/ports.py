"""The other services as issuance sees them: catalog for record metadata and ownership, ingest
for plaintext content and the names records were deposited under (Art. 21 review), identity for
the subject's name on the cover."""

import uuid
from collections.abc import AsyncGenerator
from typing import Any

import httpx

from medrec_shared.http import ServiceClient
from medrec_shared.logs import CORRELATION_HEADER, get_correlation_id


class CatalogPort:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def record(self, record_id: uuid.UUID) -> dict[str, Any] | None:
        response = await self.client.get(f"/internal/v1/records/{record_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def records_of(self, person_key: str, institution: str | None) -> list[dict[str, Any]]:
        params = {"institution": institution} if institution else {}
        response = await self.client.get(
            f"/internal/v1/persons/{person_key}/records", params=params
        )
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items


NAMES_BATCH = 500  # ingest's limit per request


class ContentGone(Exception):
    """Ingest no longer holds the record (destroyed or withdrawn since catalog listed it)."""


class IngestPort:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def content(self, record_id: uuid.UUID) -> AsyncGenerator[bytes, None]:
        """The plaintext, read for a certified copy (ingest records the read, with that purpose,
        in the owner's access history)."""
        headers = await self.client.headers()
        async with self.client.http.stream(
            "GET",
            f"/internal/v1/records/{record_id}/content",
            headers=headers,
            params={"purpose": "certified_copy"},
        ) as response:
            if response.status_code == 404:
                raise ContentGone
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                yield chunk

    async def patient_names(self, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The name each stored record was deposited under, for an Art. 21 review (ingest records
        each read, purpose proxy_review, in the owner's access history). Records ingest no
        longer holds are absent."""
        names: dict[uuid.UUID, str] = {}
        for start in range(0, len(record_ids), NAMES_BATCH):
            batch = record_ids[start : start + NAMES_BATCH]
            response = await self.client.post(
                "/internal/v1/records:names",
                json={"record_ids": [str(r) for r in batch], "purpose": "proxy_review"},
            )
            response.raise_for_status()
            for item in response.json()["items"]:
                names[uuid.UUID(item["record_id"])] = str(item["name"])
        return names


class IdentityPort:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def subject_name(self, bearer: str) -> str:
        """The subject's name, read with the caller's own token (the child's, for a guardian)."""
        response = await self.http.get(
            "/v1/me",
            headers={"Authorization": f"Bearer {bearer}", CORRELATION_HEADER: get_correlation_id()},
        )
        response.raise_for_status()
        return str(response.json()["name"])

    async def aclose(self) -> None:
        await self.http.aclose()
