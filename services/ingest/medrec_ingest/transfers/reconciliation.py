"""A transfer's declaration against what it stored (#29): every difference named. Pure: the
records come in as `StoredLine`s (transfers.repository.stored_lines), the answer goes out as the
`Reconciliation` completion returns and keeps.

- missing: a declared external_id with no stored record (never received, refused, or still
  awaiting its content); unexpected: a stored record the manifest does not name; digest
  mismatch: stored with another SHA-256 than declared. Only with a manifest.
- counts by kind and specialty: each declared kind against the stored count, and each stored
  kind the declaration does not name (declared 0).
- period: stored records before the declared start or after its end (the stored side is then
  the earliest start, or the latest end).

The manifest's digest (on the receipt) is the SHA-256 of its lines sorted by external_id, each
`external_id<TAB>sha256<LF>`: the depositor can compute it from what it sent."""

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from medrec_ingest.transfers.schemas import (
    RECONCILIATION_LISTED,
    Declared,
    Difference,
    Reconciliation,
)


@dataclass(frozen=True)
class StoredLine:
    external_id: str
    sha256: str
    kind: str
    specialty: str
    service_start: date
    service_end: date


def manifest_sha256(declared: Declared) -> str | None:
    if declared.manifest is None:
        return None
    digest = hashlib.sha256()
    for line in sorted(declared.manifest, key=lambda m: m.external_id):
        digest.update(f"{line.external_id}\t{line.sha256}\n".encode())
    return digest.hexdigest()


def _count_differences(
    prefix: str, declared: dict[str, int], stored: Counter[str]
) -> list[Difference]:
    return [
        Difference(field=f"{prefix}.{name}", declared=declared.get(name, 0), stored=stored[name])
        for name in sorted(set(declared) | set(stored))
        if declared.get(name, 0) != stored[name]
    ]


def _period_differences(declared: Declared, lines: Sequence[StoredLine]) -> list[Difference]:
    if declared.period is None or not lines:
        return []
    first = min(line.service_start for line in lines)
    last = max(line.service_end for line in lines)
    differences = []
    if first < declared.period.from_:
        differences.append(
            Difference(
                field="period.from",
                declared=declared.period.from_.isoformat(),
                stored=first.isoformat(),
            )
        )
    if last > declared.period.to:
        differences.append(
            Difference(
                field="period.to", declared=declared.period.to.isoformat(), stored=last.isoformat()
            )
        )
    return differences


def reconcile(declared: Declared, lines: Sequence[StoredLine]) -> Reconciliation:
    """The declaration against the stored records; `matches` when nothing differs."""
    differences = _count_differences(
        "counts", {k.value: n for k, n in declared.counts.items()}, Counter(x.kind for x in lines)
    )
    if declared.specialties is not None:
        differences += _count_differences(
            "specialties",
            {s.value: n for s, n in declared.specialties.items()},
            Counter(x.specialty for x in lines),
        )
    differences += _period_differences(declared, lines)
    missing: list[str] = []
    unexpected: list[str] = []
    mismatched: list[str] = []
    if declared.manifest is not None:
        stored = {line.external_id: line.sha256 for line in lines}
        listed = {line.external_id: line.sha256 for line in declared.manifest}
        missing = sorted(set(listed) - set(stored))
        unexpected = sorted(set(stored) - set(listed))
        mismatched = sorted(i for i in set(listed) & set(stored) if listed[i] != stored[i])
    return Reconciliation(
        matches=not (differences or missing or unexpected or mismatched),
        differences=differences,
        missing=missing[:RECONCILIATION_LISTED],
        missing_total=len(missing),
        unexpected=unexpected[:RECONCILIATION_LISTED],
        unexpected_total=len(unexpected),
        digest_mismatch=mismatched[:RECONCILIATION_LISTED],
        digest_mismatch_total=len(mismatched),
        manifest_sha256=manifest_sha256(declared),
    )


def stored_period(lines: Sequence[StoredLine]) -> tuple[date | None, date | None]:
    if not lines:
        return None, None
    return min(x.service_start for x in lines), max(x.service_end for x in lines)
