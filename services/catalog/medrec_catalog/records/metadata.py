"""Titles and departments of stored records, from ingest (they stay out of events): fetched for
a whole poll of RecordStored events in one request, one by one only for what that missed."""

from collections.abc import Sequence

from medrec_shared.events import Envelope
from medrec_shared.http import ServiceClient

Metadata = dict[str, str | None]


class RecordMetadata:
    def __init__(self, ingest: ServiceClient) -> None:
        self.ingest = ingest
        self.fetched: dict[str, Metadata] = {}

    async def prefetch(self, envelopes: Sequence[Envelope]) -> None:
        ids = [str(e.data["record_id"]) for e in envelopes if e.type == "RecordStored"]
        self.fetched = {}
        if not ids:
            return
        response = await self.ingest.post("/internal/v1/records:metadata", json={"record_ids": ids})
        response.raise_for_status()
        self.fetched = {item["record_id"]: item for item in response.json()["items"]}

    async def lookup(self, record_id: str) -> Metadata | None:
        """None: ingest no longer holds the record (withdrawn or destroyed since)."""
        found = self.fetched.pop(record_id, None)
        if found is not None:
            return found
        response = await self.ingest.get(f"/internal/v1/records/{record_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: Metadata = response.json()
        return body
