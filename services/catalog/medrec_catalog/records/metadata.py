"""Titles and departments of stored records, from ingest (they stay out of events): fetched for
a whole poll of RecordStored events in one request, one by one only for what that missed."""

import uuid
from collections.abc import Sequence

from medrec_shared.rules.clients import IngestClient
from medrec_shared.rules.contracts import RecordMetadata
from medrec_shared.rules.events import Envelope


class PolledMetadata:
    def __init__(self, ingest: IngestClient) -> None:
        self.ingest = ingest
        self.fetched: dict[uuid.UUID, RecordMetadata] = {}

    async def prefetch(self, envelopes: Sequence[Envelope]) -> None:
        ids = [uuid.UUID(str(e.data["record_id"])) for e in envelopes if e.type == "RecordStored"]
        self.fetched = {}
        if not ids:
            return
        self.fetched = {item.record_id: item for item in await self.ingest.records(ids)}

    async def lookup(self, record_id: uuid.UUID) -> RecordMetadata | None:
        """None: ingest no longer holds the record (withdrawn or destroyed since)."""
        found = self.fetched.pop(record_id, None)
        if found is not None:
            return found
        return await self.ingest.record(record_id)
