"""What the transfer API answers, as typed values (fields this kit does not use stay in `raw`)."""

from dataclasses import dataclass, field
from typing import Any

from medrec_transfer.errors import ProblemError


@dataclass(frozen=True)
class Counts:
    received: int
    stored: int
    failed: int
    expired_on_arrival: int
    bytes: int

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Counts":
        return cls(**{k: int(body.get(k, 0)) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    status: str  # open, completed, released
    institution: dict[str, Any]
    reason: str
    effective_date: str
    record_count: int | None
    counts: Counts
    raw: dict[str, Any] = field(repr=False)

    @property
    def reconciliation(self) -> dict[str, Any] | None:
        """The completion's answer to a declaration: `{matches, differences, missing,
        unexpected, digest_mismatch}`."""
        found = self.raw.get("reconciliation")
        return found if isinstance(found, dict) else None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Transfer":
        return cls(
            transfer_id=str(body["transfer_id"]),
            status=str(body["status"]),
            institution=dict(body.get("institution") or {}),
            reason=str(body.get("reason", "")),
            effective_date=str(body.get("effective_date", "")),
            record_count=body.get("record_count"),
            counts=Counts.from_json(body.get("counts") or {}),
            raw=body,
        )


@dataclass(frozen=True)
class Record:
    record_id: str
    external_id: str
    status: str  # stored, awaiting_content
    content_type: str
    size: int
    sha256: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Record":
        return cls(
            record_id=str(body["record_id"]),
            external_id=str(body["external_id"]),
            status=str(body["status"]),
            content_type=str(body.get("content_type", "")),
            size=int(body.get("size", 0)),
            sha256=str(body.get("sha256", "")),
        )


@dataclass(frozen=True)
class Deposit:
    """The answer to a single deposit: the record, and whether this call created it (201) or
    found it already there, identical (200)."""

    record: Record
    created: bool


@dataclass(frozen=True)
class BatchResult:
    line: int  # the line's number within the batch sent, from 1
    external_id: str | None
    status: str  # created, unchanged, conflict, invalid, failed
    record_id: str | None = None
    problem: ProblemError | None = None

    @property
    def stored(self) -> bool:
        return self.status in ("created", "unchanged")

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "BatchResult":
        problem = body.get("problem")
        return cls(
            line=int(body.get("line", 0)),
            external_id=body.get("external_id"),
            status=str(body["status"]),
            record_id=body.get("record_id"),
            problem=ProblemError.from_body(int(problem.get("status") or 422), problem)
            if isinstance(problem, dict)
            else None,
        )


@dataclass(frozen=True)
class Receipt:
    """A completed transfer's 이관확인서: the signed PDF and its issuance number."""

    pdf: bytes = field(repr=False)
    number: str | None
