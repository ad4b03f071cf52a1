"""The destruction log kept outside the database, so that a restore cannot undo a destruction.

A destroyed record's wrapped data key goes with its row; but a point-in-time restore of the
database brings the row back, key and all, and a record in a segment keeps its bytes until the
segment is compacted: restored, it would open again. So every destruction is also written to the
object store, before its transaction commits, as one small JSON object under the day it happened
(`destruction-log/2026-12-07/<record_id>.json`): the day's log, only ever added to. Nothing in
it identifies a person (the fields of `destruction_log`). After any restore,
`medrec-ingest-destructions reapply --since DAY` (reapply.py) destroys again whatever the log
holds from that day on.

In production the bucket's object lock (MinIO, WORM) keeps the prefix append-only against a
compromised pod as well; here it is only ever written to, never rewritten or deleted."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from medrec_ingest.models import Destruction
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.storage import ObjectStore

PREFIX = "destruction-log/"


class LoggedDestruction(BaseModel):
    """One entry: the columns of `destruction_log`, nothing more."""

    record_id: uuid.UUID
    institution_code: str
    kind: str
    specialty: str
    service_start: date
    service_end: date
    reason: str
    destroyed_at: datetime

    def as_row(self) -> Destruction:
        return Destruction(**self.model_dump())


def entry_key(entry: Destruction) -> str:
    """Under the Seoul day it happened: a restore point is a day, and the listing is by day."""
    return f"{PREFIX}{korean_date(entry.destroyed_at).isoformat()}/{entry.record_id}.json"


class DestructionLedger:
    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self.store = store
        self.bucket = bucket

    async def add(self, entry: Destruction) -> None:
        fields: dict[str, Any] = {
            name: getattr(entry, name) for name in LoggedDestruction.model_fields
        }
        body = LoggedDestruction(**fields).model_dump_json().encode()
        await self.store.put_bytes(
            self.bucket, entry_key(entry), body, content_type="application/json"
        )

    async def since(self, first: date, last: date) -> AsyncIterator[str]:
        """The keys of the entries logged from day `first` to day `last`, a day at a time (a
        listing from a key within the log is not portable: SeaweedFS skips the whole folder
        that a `start_after` names)."""
        day = first
        while day <= last:
            for key in await self.store.keys(self.bucket, f"{PREFIX}{day.isoformat()}/"):
                yield key
            day += timedelta(days=1)

    async def read(self, key: str) -> LoggedDestruction:
        return LoggedDestruction.model_validate_json(await self.store.get_bytes(self.bucket, key))
