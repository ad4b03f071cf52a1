"""Test support for ingest: a valid record, and looking behind the transfer API (ingest's rows
and the records bucket's objects, read raw) to check what a request stored, or that it stored
nothing."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import boto3
import httpx

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, eventually
from tests.support.stack import group_lag, sql

BUCKET = "medrec-records"


STRUCTURED = "application/vnd.medrec.record+json"


# The `new_depositor` fixture (tests/integration/ingest/conftest.py): an EMR client registered for
# a fresh institution code, as (client, code).
NewDepositor = Callable[..., tuple[Depositor, str]]


@dataclass(frozen=True)
class OpenTransfer:
    """A depositor and the transfer it opened (a module's `clinic` fixture)."""

    client: Depositor
    transfer_id: str


@dataclass(frozen=True)
class OwnedTransfer:
    """A depositor, its institution code and a transfer of it holding records (`owner`)."""

    client: Depositor
    code: str
    transfer_id: str


@dataclass(frozen=True)
class Objects:
    """The bucket's content objects (records' and segments') created after `marker`, the UUIDv7
    their keys carry being time-ordered."""

    marker: str
    keys: frozenset[str]


class IngestStore:
    def __init__(self, cluster: Cluster) -> None:
        infra = cluster.infra
        assert infra is not None
        self.dsn = f"{infra.database_url.replace('+asyncpg', '')}/medrec_ingest"
        self.s3 = boto3.client(
            "s3",
            endpoint_url=infra.s3_url,
            aws_access_key_id=infra.s3_access_key,
            aws_secret_access_key=infra.s3_secret_key,
            region_name="us-east-1",
        )

    # -- database ---------------------------------------------------------------------------
    def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async def run() -> list[dict[str, Any]]:
            conn = await asyncpg.connect(self.dsn)
            try:
                return [dict(row) for row in await conn.fetch(sql, *args)]
            finally:
                await conn.close()

        return asyncio.run(run())

    def records(self, transfer_id: str) -> list[dict[str, Any]]:
        return self.fetch(
            "SELECT * FROM records WHERE transfer_id = $1 ORDER BY external_id",
            uuid.UUID(transfer_id),
        )

    def record(self, transfer_id: str, external_id: str) -> dict[str, Any] | None:
        rows = self.fetch(
            "SELECT * FROM records WHERE transfer_id = $1 AND external_id = $2",
            uuid.UUID(transfer_id),
            external_id,
        )
        return rows[0] if rows else None

    def transfer_row(self, transfer_id: str) -> dict[str, Any]:
        return self.fetch("SELECT * FROM transfers WHERE transfer_id = $1", uuid.UUID(transfer_id))[
            0
        ]

    def events(self, transfer_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows about this transfer: envelopes as JSON, with their `sent_at`."""
        rows = self.fetch(
            "SELECT envelope::text AS envelope, sent_at, key FROM outbox "
            "WHERE envelope->'data'->>'transfer_id' = $1 ORDER BY id",
            transfer_id,
        )
        out = []
        for row in rows:
            envelope = json.loads(row["envelope"])
            if event_type is None or envelope["type"] == event_type:
                out.append(envelope | {"sent_at": row["sent_at"], "key": row["key"]})
        return out

    # -- object storage ---------------------------------------------------------------------
    def objects(self, since: Objects | None = None, prefix: str | None = None) -> Objects:
        """Content objects, records' and segments' (after `since`'s marker, or from one second
        ago), or every object under `prefix`."""
        if since is None:
            ms = int(time.time() * 1000) - 1000
            marker = f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7000-8000-000000000000"
        else:
            marker = since.marker
        if prefix is not None:
            return Objects(marker, frozenset(self._listed({"Prefix": prefix})))
        keys: set[str] = set()
        for kind in ("records/", "segments/"):
            keys |= self._listed({"Prefix": kind, "StartAfter": kind + marker})
        return Objects(marker, frozenset(keys))

    def _listed(self, kwargs: dict[str, Any]) -> set[str]:
        keys: set[str] = set()
        kwargs = {"Bucket": BUCKET, **kwargs}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            keys.update(item["Key"] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return keys
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def present(self, keys: set[str]) -> set[str]:
        """Which of these object keys are in the bucket."""
        return {key for key in keys if key in self.objects(prefix=key).keys}

    def new_objects(self, before: Objects) -> set[str]:
        return set(self.objects(before).keys - before.keys)

    def object_bytes(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    def multipart_uploads(self, prefix: str) -> list[dict[str, Any]]:
        uploads: list[dict[str, Any]] = self.s3.list_multipart_uploads(
            Bucket=BUCKET, Prefix=prefix
        ).get("Uploads", [])
        return uploads


def sweep(catalog_admin: httpx.Client) -> int:
    swept = catalog_admin.post("/v1/admin/retention/sweep")
    assert swept.status_code == 200, swept.text
    due: int = swept.json()["due"]
    return due


def settled(cluster: Cluster) -> None:
    """Every retention-due event so far is relayed and handled by ingest."""
    eventually(
        lambda: (
            not sql(cluster, "catalog", "SELECT 1 FROM outbox WHERE sent_at IS NULL")
            and group_lag(cluster, "ingest", ["medrec.record.v1"]) == 0
        ),
        what="ingest to handle every retention-due event",
    )
