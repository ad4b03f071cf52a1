"""The declaration: what an export hands over, sent with the opening and the completion of its
transfer (`declared`, API.md "Custody registry, transfer requests, notices, receipts") so that
the service reconciles it with what it stored and the 이관확인서 states it.

    counts       records by kind          {"medical_record": 120, …}
    specialties  records by specialty     {"medical": 100, "dental": 20}
    period       {from, to}: the earliest service_start and the latest service_end
    manifest     [{external_id, sha256}]: each record's content digest, in file order

It covers every line of records.ndjson that names a record (a well-formed external_id, first
use) with content that can be read, valid or not: a line refused for a fixable field is still
declared, so completing without it names it missing. Kinds and specialties outside the schema's
values are left out of the counts (the service takes only known ones); such a line stays in the
manifest. Computed in one streaming pass: a line at a time, a file's content hashed in chunks
(its digest kept in the state by size and mtime, as the push keeps it), never held whole."""

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from medrec_transfer.digest import bytes_sha256
from medrec_transfer.export import Export, raw_lines
from medrec_transfer.schema import carried

# The declaration sent with the opening leaves the manifest out above this many records (its
# body is small); the completion always carries it, up to the completion's own limit.
OPENING_MANIFEST_MAX = 500
MANIFEST_MAX = 100_000


@dataclass(frozen=True)
class Declaration:
    counts: dict[str, int]
    specialties: dict[str, int]
    period: tuple[str, str] | None  # ISO dates
    manifest: list[tuple[str, str]] = field(repr=False)  # (external_id, sha256)

    @property
    def external_ids(self) -> list[str]:
        return [external_id for external_id, _ in self.manifest]

    def as_json(self, *, with_manifest: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"counts": dict(self.counts), "specialties": dict(self.specialties)}
        if self.period is not None:
            body["period"] = {"from": self.period[0], "to": self.period[1]}
        if with_manifest and len(self.manifest) <= MANIFEST_MAX:
            body["manifest"] = [{"external_id": i, "sha256": d} for i, d in self.manifest]
        return body


def _enum(schemas: dict[str, Any], name: str) -> frozenset[str]:
    return frozenset(str(v) for v in schemas.get(name, {}).get("enum", []))


def _external_id_rule(schemas: dict[str, Any]) -> tuple[re.Pattern[str], int]:
    spec = schemas.get("BatchLine", {}).get("properties", {}).get("external_id", {})
    return re.compile(spec.get("pattern", r"^[A-Za-z0-9._~:@-]+$")), int(spec.get("maxLength", 200))


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def declare(export: Export, file_digest: Callable[[Path], str]) -> Declaration:
    """The declaration of `export`'s records.ndjson; `file_digest` hashes a content file (the
    push's cached hash)."""
    schemas = carried()["components"]["schemas"]
    kinds, specialties = _enum(schemas, "RecordKind"), _enum(schemas, "Specialty")
    pattern, longest = _external_id_rule(schemas)
    root = export.root.resolve()
    counts: Counter[str] = Counter()
    by_specialty: Counter[str] = Counter()
    first: str | None = None
    last: str | None = None
    manifest: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _, _, raw in raw_lines(export.records_path):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        external_id = record.get("external_id")
        if (
            not isinstance(external_id, str)
            or len(external_id) > longest
            or not pattern.match(external_id)
            or external_id in seen
        ):
            continue
        digest = _content_digest(root, record.get("content"), file_digest)
        if digest is None:
            continue
        seen.add(external_id)
        manifest.append((external_id, digest))
        if record.get("kind") in kinds:
            counts[record["kind"]] += 1
        if record.get("specialty") in specialties:
            by_specialty[record["specialty"]] += 1
        start = _date(record.get("service_start"))
        end = _date(record.get("service_end")) or start
        if start is not None and (first is None or start < first):
            first = start
        if end is not None and (last is None or end > last):
            last = end
    period = (first, last) if first is not None and last is not None else None
    return Declaration(dict(sorted(counts.items())), dict(sorted(by_specialty.items())),
                       period, manifest)  # fmt: skip


def _content_digest(root: Path, content: Any, file_digest: Callable[[Path], str]) -> str | None:
    """The hex SHA-256 of a line's content (what the service stores and reconciles), or None
    when there is none to read."""
    if not isinstance(content, dict):
        return None
    if isinstance(content.get("data_base64"), str):
        try:
            return bytes_sha256(base64.b64decode(content["data_base64"], validate=True))
        except (binascii.Error, ValueError):
            return None
    relative = content.get("file")
    if isinstance(relative, str) and relative and not Path(relative).is_absolute():
        path = (root / relative).resolve()
        if path.is_relative_to(root) and path.is_file():
            return file_digest(path)
    return None
